using System.ComponentModel.DataAnnotations;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// How a change written resource by resource (compensation mode, <c>Fhir:UseTransactions=false</c>) survives an
/// aborted request or a killed instance. Bound from the <c>Changes</c> section.
/// </summary>
public sealed class ChangeSafetyOptions : IValidatableObject
{
    public const string SectionName = "Changes";

    /// <summary>How long a change's writes may take once the first has started (the caller going away does not stop them); its undo gets as long again.</summary>
    [Range(1, 600)]
    public int WriteSeconds { get; set; } = 30;

    /// <summary>How old a change's intent record must be before a sweeper repairs it: longer than its writes and undo can take.</summary>
    [Range(1, 3600)]
    public int RepairGraceSeconds { get; set; } = 90;

    /// <summary>How often each instance looks for stale intent records.</summary>
    [Range(1, 3600)]
    public int RepairSweepSeconds { get; set; } = 15;

    public TimeSpan WriteTimeout => TimeSpan.FromSeconds(WriteSeconds);

    public TimeSpan RepairGrace => TimeSpan.FromSeconds(RepairGraceSeconds);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A sweeper must never repair a change still running: its writes and its undo have each WriteSeconds.
        if (RepairGraceSeconds <= 2 * WriteSeconds)
        {
            yield return new ValidationResult(
                $"Changes:RepairGraceSeconds ({RepairGraceSeconds}) must exceed twice Changes:WriteSeconds ({WriteSeconds}).",
                [nameof(RepairGraceSeconds), nameof(WriteSeconds)]);
        }
    }
}
