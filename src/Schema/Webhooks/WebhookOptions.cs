using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Scheduling.Schema.Webhooks;

/// <summary>Bound from the <c>Webhooks</c> section: outbound, signed notifications of appointment changes.</summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string SectionName = "Webhooks";

    /// <summary>Deliver webhooks (and let admins register them). Off: registration answers a ValidationError, nothing is sent.</summary>
    public bool Enabled { get; set; }

    /// <summary>The key every endpoint's signing secret is derived from (at least 32 bytes); required when enabled. Changing it changes every secret.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Accept <c>http://</c> endpoints (tests, a development receiver); https only otherwise.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Accept loopback, private, link-local and other non-public addresses (tests); refused otherwise, at registration and at every connection.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Attempts per delivery before it is marked failed (the first included).</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait before the second attempt; it doubles with each further attempt (with jitter), up to <see cref="MaxDelaySeconds"/>.</summary>
    [Range(1, 3_600_000)]
    public int BaseDelayMilliseconds { get; set; } = 1000;

    [Range(1, 86_400)]
    public int MaxDelaySeconds { get; set; } = 3600;

    /// <summary>How long one attempt may take, connection included.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>How long a claimed delivery stays claimed before another instance may take it over (an instance that died mid-delivery).</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How long events (for replay), delivery logs and de-duplication marks are kept.</summary>
    [Range(60, 90 * 86_400)]
    public int RetentionSeconds { get; set; } = 7 * 86_400;

    /// <summary>At most this many attempts are kept in one endpoint's delivery log (the newest).</summary>
    [Range(10, 1_000_000)]
    public int MaxLogEntriesPerEndpoint { get; set; } = 10_000;

    /// <summary>Deliveries in flight at once on one instance.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 8;

    /// <summary>Redis key prefix of the webhook queue, events and logs (with <c>Redis:Configuration</c>).</summary>
    [Required]
    public string RedisPrefix { get; set; } = "scheduling-gateway:webhooks:";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && (SigningKey is null || Encoding.UTF8.GetByteCount(SigningKey) < 32))
        {
            yield return new ValidationResult("Webhooks:SigningKey (at least 32 bytes) is required when Webhooks:Enabled is true.", [nameof(SigningKey)]);
        }
    }
}
