using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Planning;

/// <summary>
/// Compiles the selection below a list of <c>rootType</c> resources into the <c>_include</c>/<c>_revinclude</c>
/// (with <c>:iterate</c> below the first level) that bring every resource it navigates to in the same search.
/// Pure. It steps back, leaving a field and everything below it to the DataLoaders, when
/// <list type="bullet">
/// <item>the field is not in <see cref="Navigations"/> (no reference parameter describes it);</item>
/// <item>the server does not support that include (<paramref name="supports"/>);</item>
/// <item>a reverse field is filtered, by the caller's arguments or by the caller's access (<paramref name="unfiltered"/>
/// false: e.g. a patient's appointments are narrowed to <c>patient=</c>, which an include cannot express, and an
/// include must never bring what the narrowed search would not).</item>
/// </list>
/// </summary>
public static class IncludePlanner
{
    public static IncludePlan Plan(
        string rootType,
        IReadOnlyList<SelectedField> selection,
        Func<FhirInclude, bool> supports,
        Func<Navigation, bool> unfiltered)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(supports);
        ArgumentNullException.ThrowIfNull(unfiltered);
        var includes = new List<FhirInclude>();
        var steps = Walk(rootType, selection, depth: 0, includes, supports, unfiltered);
        return includes.Count == 0 ? IncludePlan.Empty : new IncludePlan(includes, steps);
    }

    private static List<PlannedStep> Walk(
        string resourceType, IReadOnlyList<SelectedField> fields, int depth, List<FhirInclude> includes,
        Func<FhirInclude, bool> supports, Func<Navigation, bool> unfiltered)
    {
        var steps = new List<PlannedStep>();
        foreach (var field in fields)
        {
            if (Navigations.Of(field.DeclaringType, field.Name) is { } navigation)
            {
                if (navigation.OwnerType != resourceType || !Covered(navigation, field, depth, supports, unfiltered))
                {
                    continue;
                }

                var include = navigation.Include(iterate: depth > 0);
                if (!includes.Contains(include))
                {
                    includes.Add(include);
                }

                steps.Add(new PlannedStep(navigation, Walk(navigation.ItemType, field.Children, depth + 1, includes, supports, unfiltered)));
            }
            else if (!Navigations.IsResource(field.DeclaringType) || field.DeclaringType == resourceType)
            {
                // A field of the same resource (a plain value) or of a wrapper (connection, edge, participant):
                // what it selects still belongs to the current resource.
                steps.AddRange(Walk(resourceType, field.Children, depth, includes, supports, unfiltered));
            }
        }

        return steps;
    }

    private static bool Covered(Navigation navigation, SelectedField field, int depth, Func<FhirInclude, bool> supports, Func<Navigation, bool> unfiltered) =>
        supports(navigation.Include(iterate: depth > 0)) &&
        (!navigation.Reverse || (!field.HasFilterArguments && unfiltered(navigation)));
}
