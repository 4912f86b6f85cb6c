using System.ComponentModel.DataAnnotations;

namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>The waitlist's settings (section <c>Waitlist</c>).</summary>
public sealed class WaitlistOptions
{
    public const string SectionName = "Waitlist";

    /// <summary>
    /// Whether this instance runs the matcher (offers). Off by default, as webhooks are: each pass costs FHIR searches
    /// (one for the line, two per waiting entry), which a deployment turns on knowingly. Joining, leaving and reading
    /// the line work either way.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>How long an offer (a hold made for the first in line) stands before it passes to the next.</summary>
    [Range(1, 24 * 60)]
    public int OfferMinutes { get; set; } = 30;

    /// <summary>How often every instance also looks for time to offer without a change announcing it (changes missed while Redis was away, time that became offerable by the clock).</summary>
    [Range(1, 24 * 3600)]
    public int SweepSeconds { get; set; } = 60;

    /// <summary>The most entries one patient may have waiting at once.</summary>
    [Range(1, 100)]
    public int MaxEntriesPerPatient { get; set; } = 5;

    /// <summary>The most windows one entry may name.</summary>
    [Range(1, 50)]
    public int MaxWindows { get; set; } = 10;

    /// <summary>The Redis key prefix of the matcher's claims and lease.</summary>
    [Required]
    public string RedisPrefix { get; set; } = "scheduling:waitlist:";
}
