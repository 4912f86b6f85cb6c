using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace Scheduling.Schema.Subscriptions;

/// <summary>Bound from the <c>Redis</c> section.</summary>
public sealed class RedisOptions : IValidatableObject
{
    public const string SectionName = "Redis";

    /// <summary>StackExchange.Redis configuration, e.g. <c>localhost:6379</c>. Empty: one instance, no Redis.</summary>
    public string? Configuration { get; set; }

    /// <summary>The pub/sub channel that wakes the other instances' readers when a change is added to the stream.</summary>
    public string Channel { get; set; } = "scheduling-gateway:changes";

    /// <summary>The stream (key) every instance adds its changes to and reads them from.</summary>
    [Required]
    public string Stream { get; set; } = "scheduling-gateway:change-stream";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Configuration);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IsConfigured)
        {
            ValidationResult? failure = null;
            try
            {
                ConfigurationOptions.Parse(Configuration!);
            }
            catch (ArgumentException e)
            {
                failure = new ValidationResult($"Redis:Configuration is not a Redis configuration string: {e.Message}", [nameof(Configuration)]);
            }

            if (failure is not null)
            {
                yield return failure;
            }
        }
    }
}
