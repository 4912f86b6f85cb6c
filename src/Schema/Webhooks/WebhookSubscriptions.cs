using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Webhooks;

/// <summary>Where a webhook stands: delivering, delivering after a failure, or off (its receiver answered 410 Gone).</summary>
public enum WebhookState
{
    Active,
    Error,
    Disabled,
}

/// <summary>A registered endpoint, as read from its FHIR Subscription.</summary>
public sealed record WebhookEndpoint(
    string Id,
    Uri Url,
    IReadOnlySet<WebhookEventType> Events,
    string? Description,
    WebhookState State,
    string? LastError,
    int SecretVersion,
    DateTimeOffset? LastUpdated)
{
    /// <summary>Whether it receives events of this type: those it names, or every type when it names none.</summary>
    public bool Receives(WebhookEventType type) => State != WebhookState.Disabled && (Events.Count == 0 || Events.Contains(type));
}

/// <summary>
/// A webhook stored as a FHIR R4 Subscription, so it lives with the data and every instance reads the same list:
/// criteria <c>Appointment?</c>, channel rest-hook to the endpoint with payload application/json, tagged as the
/// gateway's (<see cref="GatewayProfile.WebhookTag"/>), its event types and state in the gateway's extensions. Its
/// FHIR status is <c>off</c> on purpose: an active rest-hook Subscription would make the FHIR server post its own,
/// unsigned notifications to the same receiver; the gateway delivers these, and the state it keeps is the extension's.
/// No secret is stored: each is derived from <c>Webhooks:SigningKey</c>, the id and the secret version.
/// </summary>
public static class WebhookSubscriptions
{
    public const string Criteria = "Appointment?";

    /// <summary>Every webhook of the gateway (a named search: the tag).</summary>
    public static FhirQuery All() => FhirQuery.For<Subscription>().WhereToken("_tag", GatewayProfile.TagSystem, GatewayProfile.WebhookTag);

    public static bool IsWebhook(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return subscription.Meta?.Tag.Any(t => t.System == GatewayProfile.TagSystem && t.Code == GatewayProfile.WebhookTag) == true;
    }

    public static Subscription New(Uri url, IEnumerable<WebhookEventType> events, string? description)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(events);
        var subscription = new Subscription
        {
            Meta = new Meta { Tag = [new Coding(GatewayProfile.TagSystem, GatewayProfile.WebhookTag)] },
            Status = Subscription.SubscriptionStatus.Off,
            Reason = string.IsNullOrWhiteSpace(description) ? "Scheduling gateway webhook" : description,
            Criteria = Criteria,
            Channel = new Subscription.ChannelComponent
            {
                Type = Subscription.SubscriptionChannelType.RestHook,
                Endpoint = url.AbsoluteUri,
                Payload = "application/json",
            },
        };
        foreach (var type in events.Distinct().Order())
        {
            subscription.Extension.Add(new Extension(GatewayProfile.WebhookEventExtension, new Code(WebhookEvents.Name(type))));
        }

        subscription.SetExtension(GatewayProfile.WebhookSecretVersionExtension, new Integer(1));
        subscription.SetExtension(GatewayProfile.WebhookStateExtension, new Code(StateCode(WebhookState.Active)));
        return subscription;
    }

    /// <summary>The endpoint a Subscription stands for, or null when it is not one of the gateway's webhooks.</summary>
    public static WebhookEndpoint? Read(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (!IsWebhook(subscription) || subscription.Id is null || !Uri.TryCreate(subscription.Channel?.Endpoint, UriKind.Absolute, out var url))
        {
            return null;
        }

        var events = subscription.Extension.Where(e => e.Url == GatewayProfile.WebhookEventExtension)
            .Select(e => (e.Value as Code)?.Value)
            .Select(name => Enum.GetValues<WebhookEventType>().Cast<WebhookEventType?>().FirstOrDefault(t => WebhookEvents.Name(t!.Value) == name))
            .OfType<WebhookEventType>()
            .ToHashSet();
        var state = (subscription.GetExtensionValue<Code>(GatewayProfile.WebhookStateExtension)?.Value) switch
        {
            "error" => WebhookState.Error,
            "disabled" => WebhookState.Disabled,
            _ => WebhookState.Active,
        };
        var version = subscription.GetExtensionValue<Integer>(GatewayProfile.WebhookSecretVersionExtension)?.Value ?? 1;
        var description = subscription.Reason == "Scheduling gateway webhook" ? null : subscription.Reason;
        return new WebhookEndpoint(subscription.Id, url, events, description, state, subscription.Error, version, subscription.Meta?.LastUpdated);
    }

    /// <summary>A copy with a new state (and the last error, or none).</summary>
    public static Subscription WithState(Subscription subscription, WebhookState state, string? error)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var changed = (Subscription)subscription.DeepCopy();
        changed.SetExtension(GatewayProfile.WebhookStateExtension, new Code(StateCode(state)));
        changed.Error = error;
        return changed;
    }

    /// <summary>A copy whose secret version is one more: the old secret stops verifying at once.</summary>
    public static Subscription Rotated(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var changed = (Subscription)subscription.DeepCopy();
        var version = subscription.GetExtensionValue<Integer>(GatewayProfile.WebhookSecretVersionExtension)?.Value ?? 1;
        changed.SetExtension(GatewayProfile.WebhookSecretVersionExtension, new Integer(version + 1));
        return changed;
    }

    private static string StateCode(WebhookState state) => state switch
    {
        WebhookState.Error => "error",
        WebhookState.Disabled => "disabled",
        _ => "active",
    };
}
