using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Planning;

/// <summary>
/// Compiles the selection below a list of <c>rootType</c> resources into the <c>_include</c>/<c>_revinclude</c>
/// (with <c>:iterate</c> below the first level) that bring every resource it navigates to in the same search.
/// Pure. It steps back, leaving a field and everything below it to the DataLoaders, when
/// <list type="bullet">
/// <item>the field is not in <see cref="Navigations"/> (no reference parameter describes it);</item>
/// <item>the field answers fewer resources than its include brings (<see cref="Navigation.Includable"/>:
/// <c>Appointment.patient</c> answers the first patient, <c>_include=Appointment:patient</c> brings every patient of a
/// group appointment): the plan would read resources no resolver asked for, which the search budget did not price;</item>
/// <item>the server does not support that include (<paramref name="supports"/>);</item>
/// <item>its items are of a resource type the plan already reaches another way (or the root's type): an iterating
/// include applies to every resource of its type in the result, so two ways to one type would let the server follow
/// each from what the other brought, round and round (<c>Appointment:patient</c> with <c>Patient.appointments</c>
/// reaches every appointment of every patient of every appointment...). With each type reached one way, the planned
/// search brings exactly what the DataLoaders would fetch level by level, never more: the search budget priced those
/// levels (<see cref="Execution.OperationSize"/>), and a plan cannot turn a priced query into an unbounded search;</item>
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
        Func<Navigation, bool> supports,
        Func<Navigation, bool> unfiltered)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(supports);
        ArgumentNullException.ThrowIfNull(unfiltered);
        var walk = new Walker(rootType, supports, unfiltered);
        var steps = walk.Walk(rootType, selection, depth: 0);
        return walk.Includes.Count == 0 ? IncludePlan.Empty : new IncludePlan(walk.Includes, steps);
    }

    private sealed class Walker(string rootType, Func<Navigation, bool> supports, Func<Navigation, bool> unfiltered)
    {
        /// <summary>Each resource type the plan reaches, and the one navigation that reaches it (null: the root).</summary>
        private readonly Dictionary<string, Navigation?> _reached = new(StringComparer.Ordinal) { [rootType] = null };

        public List<FhirInclude> Includes { get; } = [];

        public List<PlannedStep> Walk(string resourceType, IReadOnlyList<SelectedField> fields, int depth)
        {
            var steps = new List<PlannedStep>();
            foreach (var field in fields)
            {
                if (Navigations.Of(field.DeclaringType, field.Name) is { } navigation)
                {
                    if (navigation.OwnerType != resourceType || !Covered(navigation, field) ||
                        (_reached.TryGetValue(navigation.ItemType, out var reachedBy) && reachedBy != navigation))
                    {
                        continue;
                    }

                    _reached[navigation.ItemType] = navigation;
                    var include = navigation.Include(iterate: depth > 0);
                    if (!Includes.Contains(include))
                    {
                        Includes.Add(include);
                    }

                    steps.Add(new PlannedStep(navigation, Walk(navigation.ItemType, field.Children, depth + 1)));
                }
                else if (!Navigations.IsResource(field.DeclaringType) || field.DeclaringType == resourceType)
                {
                    // A field of the same resource (a plain value) or of a wrapper (connection, edge, participant):
                    // what it selects still belongs to the current resource.
                    steps.AddRange(Walk(resourceType, field.Children, depth));
                }
            }

            return steps;
        }

        private bool Covered(Navigation navigation, SelectedField field) =>
            navigation.Includable && supports(navigation) && (!navigation.Reverse || (!field.HasFilterArguments && unfiltered(navigation)));
    }
}
