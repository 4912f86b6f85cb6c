using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Planning;

/// <summary>
/// One field of a GraphQL selection as the planner sees it: the object type that declares it, its name, whether
/// the caller gave it arguments other than paging (<c>where</c>, <c>order</c>), and the fields selected below it
/// (fragments and aliases merged, <c>@skip</c>/<c>@include</c> already applied).
/// </summary>
public sealed record SelectedField(string DeclaringType, string Name, bool HasFilterArguments, IReadOnlyList<SelectedField> Children)
{
    public SelectedField(string declaringType, string name, params SelectedField[] children)
        : this(declaringType, name, false, children)
    {
    }
}

/// <summary>A navigation the plan covers, where its items are primed from, and what is planned below it.</summary>
public sealed record PlannedStep(Navigation Navigation, IReadOnlyList<PlannedStep> Children);

/// <summary>The includes to add to one search, and the navigations they cover (what to prime).</summary>
public sealed record IncludePlan(IReadOnlyList<FhirInclude> Includes, IReadOnlyList<PlannedStep> Steps)
{
    public static readonly IncludePlan Empty = new([], []);

    public bool IsEmpty => Includes.Count == 0;
}
