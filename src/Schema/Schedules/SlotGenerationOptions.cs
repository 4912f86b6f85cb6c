using System.ComponentModel.DataAnnotations;

namespace Scheduling.Schema.Schedules;

/// <summary>
/// Bound from the <c>Scheduling</c> section: how much one <c>createSlots</c> call may do. A call over a limit is
/// refused, naming the limit, before anything is read or written.
/// </summary>
public sealed class SlotGenerationOptions
{
    public const string SectionName = "Scheduling";

    /// <summary>Most slots one call may generate (counted from the input, before existing slots are skipped).</summary>
    [Range(1, 100_000)]
    public int MaxSlotsPerCall { get; set; } = 2000;

    /// <summary>Most days one call may span, <c>from</c> to <c>to</c> inclusive.</summary>
    [Range(1, 366)]
    public int MaxDaysPerCall { get; set; } = 92;

    /// <summary>Slots per FHIR transaction Bundle (where <c>Fhir:UseTransactions</c> is on).</summary>
    [Range(1, 1000)]
    public int WriteBatchSize { get; set; } = 200;

    /// <summary>Creates in flight at once where the server does no transactions.</summary>
    [Range(1, 64)]
    public int ParallelWrites { get; set; } = 8;
}
