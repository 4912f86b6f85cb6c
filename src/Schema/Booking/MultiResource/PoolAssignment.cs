using System.ComponentModel.DataAnnotations;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.MultiResource;

/// <summary>How a pool ("any of these practitioners") is given one practitioner for an option, and what the option says why.</summary>
public enum PoolAssignment
{
    /// <summary>The first practitioner of the pool, in the order the caller listed it, who is free for the whole span.</summary>
    FirstFree,

    /// <summary>Among those free for the span, the one with the fewest active appointments that (UTC) day; ties in the pool's order.</summary>
    LeastBookedThatDay,

    /// <summary>Among those free for the span, the first in the configured <see cref="PoolAssignmentOptions.PoolPreference"/>; the others after, in the pool's order.</summary>
    PreferenceOrder,
}

/// <summary>The setting <c>Booking:PoolAssignment</c> (and <c>Booking:PoolPreference</c> for <see cref="PoolAssignment.PreferenceOrder"/>), validated at start.</summary>
public sealed class PoolAssignmentOptions : IValidatableObject
{
    public const string SectionName = "Booking";

    [EnumDataType(typeof(PoolAssignment))]
    public PoolAssignment PoolAssignment { get; set; } = PoolAssignment.FirstFree;

    /// <summary>Practitioner ids in the order a pool prefers them (PreferenceOrder).</summary>
    public IList<string> PoolPreference { get; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PoolAssignment == PoolAssignment.PreferenceOrder && PoolPreference.Count == 0)
        {
            yield return new ValidationResult("Booking:PoolAssignment=PreferenceOrder needs Booking:PoolPreference (practitioner ids, in order).", [nameof(PoolPreference)]);
        }

        if (PoolPreference.FirstOrDefault(id => !FhirReference.IsValidId(id)) is { } bad)
        {
            yield return new ValidationResult($"Booking:PoolPreference: '{bad}' is not a FHIR id.", [nameof(PoolPreference)]);
        }
    }

    /// <summary>
    /// The pool's practitioners free for a span (<paramref name="free"/>, in the pool's order) in the order the policy
    /// tries them; <paramref name="bookedThatDay"/> counts a practitioner's active appointments that day.
    /// </summary>
    public IEnumerable<string> Order(IReadOnlyList<string> free, Func<string, int> bookedThatDay)
    {
        ArgumentNullException.ThrowIfNull(free);
        ArgumentNullException.ThrowIfNull(bookedThatDay);
        return PoolAssignment switch
        {
            PoolAssignment.LeastBookedThatDay => free.Select((id, i) => (id, i)).OrderBy(x => bookedThatDay(x.id)).ThenBy(x => x.i).Select(x => x.id),
            PoolAssignment.PreferenceOrder => free.Select((id, i) => (id, i))
                .OrderBy(x => PoolPreference.IndexOf(x.id) is var at && at >= 0 ? at : int.MaxValue).ThenBy(x => x.i).Select(x => x.id),
            _ => free,
        };
    }
}
