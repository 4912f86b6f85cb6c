using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.Webhooks;

/// <summary>A webhook as registration or rotation answers it: with its secret, shown this once.</summary>
public sealed record WebhookWithSecret(WebhookEndpoint Webhook, string Secret);

/// <summary>
/// Registering, listing, rotating and deleting webhooks (admins only, as <see cref="SchedulingAccess.ManagesWebhooks"/>
/// decides), each a write of the webhook's FHIR Subscription through the request's store, so every instance hears
/// of it on the change bus (<see cref="WebhookEndpoints"/>).
/// </summary>
public sealed class WebhookRegistry(IFhirStore store, SchedulingAccess access, IOptions<WebhookOptions> options, WebhookEndpoints endpoints, IWebhookStore deliveries, TimeProvider time)
{
    public const string TypeName = "Webhook";

    private WebhookOptions Options => options.Value;

    public static string GlobalIdOf(string fhirId) => GlobalId.Encode(TypeName, fhirId);

    /// <summary>A webhook's FHIR id as the id arguments give it (decoded from the global id); a ValidationError otherwise.</summary>
    public static string FhirIdOf(string? id) =>
        FhirReference.IsValidId(id) ? id : throw new SchedulingException(new ValidationError("'webhookId' is not a webhook id.", "webhookId"));

    public async Task<WebhookWithSecret> RegisterAsync(string? url, IReadOnlyCollection<WebhookEventType>? events, string? description, CancellationToken cancellationToken)
    {
        RequireAdmin();
        RequireEnabled();
        var endpoint = WebhookUrls.Validate(url, Options);
        if (description?.Length > 500)
        {
            throw new SchedulingException(new ValidationError("The description is longer than 500 characters.", "description"));
        }

        var created = await store.CreateAsync(WebhookSubscriptions.New(endpoint, events ?? [], description), cancellationToken);
        endpoints.Invalidate();
        var webhook = WebhookSubscriptions.Read(created)!;
        return new WebhookWithSecret(webhook, SecretOf(webhook));
    }

    public async Task<IReadOnlyList<WebhookEndpoint>> ListAsync(CancellationToken cancellationToken)
    {
        RequireAdmin();
        var all = await store.SearchAllAsync<Subscription>(WebhookSubscriptions.All(), cancellationToken);
        return [.. all.Select(WebhookSubscriptions.Read).OfType<WebhookEndpoint>().OrderBy(w => w.Id, StringComparer.Ordinal)];
    }

    public async Task<WebhookEndpoint> FindAsync(string? webhookId, CancellationToken cancellationToken)
    {
        RequireAdmin();
        return WebhookSubscriptions.Read(await ReadAsync(webhookId, cancellationToken))!;
    }

    public async Task<string> DeleteAsync(string? webhookId, CancellationToken cancellationToken)
    {
        RequireAdmin();
        var subscription = await ReadAsync(webhookId, cancellationToken);
        await store.DeleteAsync(subscription, cancellationToken);
        endpoints.Invalidate();
        return subscription.Id!;
    }

    public async Task<WebhookWithSecret> RotateSecretAsync(string? webhookId, CancellationToken cancellationToken)
    {
        RequireAdmin();
        RequireEnabled();
        var subscription = await ReadAsync(webhookId, cancellationToken);
        var rotated = await store.UpdateAsync(WebhookSubscriptions.Rotated(subscription), subscription.Meta?.VersionId, cancellationToken);
        endpoints.Invalidate();
        var webhook = WebhookSubscriptions.Read(rotated)!;
        return new WebhookWithSecret(webhook, SecretOf(webhook));
    }

    /// <summary>Queues again the given events, or those logged for the webhook since a time; answers the ids queued (events no longer kept are left out).</summary>
    public async Task<(WebhookEndpoint Webhook, IReadOnlyList<string> EventIds)> ReplayAsync(
        string? webhookId, IReadOnlyList<string>? eventIds, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        RequireAdmin();
        RequireEnabled();
        if ((eventIds is null) == (since is null))
        {
            throw new SchedulingException(new ValidationError("Give either eventIds or since.", eventIds is null ? "since" : "eventIds"));
        }

        var webhook = await FindAsync(webhookId, cancellationToken);
        var ids = eventIds ?? await deliveries.LoggedEventsSinceAsync(webhook.Id, since!.Value);
        return (webhook, await deliveries.ReplayAsync(webhook.Id, ids, time.GetUtcNow()));
    }

    public async Task<WebhookLogPage> DeliveriesAsync(string? webhookId, int first, string? after, CancellationToken cancellationToken)
    {
        var webhook = await FindAsync(webhookId, cancellationToken);
        return await deliveries.ReadLogAsync(webhook.Id, first, after);
    }

    /// <summary>A webhook by id for node(id:): null when there is none (admins only, as every read).</summary>
    public async Task<WebhookEndpoint?> FindOrNullAsync(string webhookId, CancellationToken cancellationToken)
    {
        RequireAdmin();
        var subscription = await store.ReadAsync<Subscription>(webhookId, cancellationToken);
        return subscription is not null ? WebhookSubscriptions.Read(subscription) : null;
    }

    /// <summary>One attempt of a webhook's delivery log by its cursor, for node(id:): null once the log no longer keeps it.</summary>
    public async Task<LoggedAttempt?> FindDeliveryOrNullAsync(string webhookId, string cursor, CancellationToken cancellationToken)
    {
        if (await FindOrNullAsync(webhookId, cancellationToken) is null || !ChangeEventId.TryParse(cursor, out var id))
        {
            return null;
        }

        // The page just newer than the cursor ends with it: the log is read newest first, after a cursor.
        var page = await deliveries.ReadLogAsync(webhookId, 1, id.Next.ToString());
        return page.Items is [var (found, attempt)] && found == cursor ? new LoggedAttempt(webhookId, cursor, attempt) : null;
    }

    /// <summary>An endpoint's secret, derived: <see cref="WebhookSignature.DeriveSecret"/>.</summary>
    public string SecretOf(WebhookEndpoint webhook) => SecretOf(Options, webhook);

    /// <summary>An endpoint's secret under <paramref name="options"/>' signing key: the one derivation registration, rotation and delivery use.</summary>
    public static string SecretOf(WebhookOptions options, WebhookEndpoint webhook)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(webhook);
        return WebhookSignature.DeriveSecret(options.SigningKey!, webhook.Id, webhook.SecretVersion);
    }

    private async Task<Subscription> ReadAsync(string? webhookId, CancellationToken cancellationToken)
    {
        var id = FhirIdOf(webhookId);
        var subscription = await store.ReadAsync<Subscription>(id, cancellationToken);
        return subscription is not null && WebhookSubscriptions.IsWebhook(subscription)
            ? subscription
            : throw new SchedulingException(new NotFoundError($"Webhook '{webhookId}' does not exist.", TypeName, id));
    }

    private void RequireAdmin() =>
        SchedulingAccess.Require(access.ManagesWebhooks, () => new ForbiddenError("Webhooks are managed by admins only."));

    private void RequireEnabled()
    {
        if (!Options.Enabled)
        {
            throw new SchedulingException(new ValidationError("Webhooks are not enabled on this gateway (Webhooks:Enabled).", null, "webhooks-disabled"));
        }
    }
}

/// <summary>
/// Every instance's view of the registered webhooks, read from FHIR and kept a few seconds; forgotten at once when
/// a webhook's Subscription changes on any instance (the change bus carries every write) or here.
/// </summary>
public sealed class WebhookEndpoints : IDisposable
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(30);
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly IDisposable _subscription;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private (IReadOnlyList<WebhookEndpoint> Endpoints, DateTimeOffset ReadAt, long Generation)? _known;
    private long _generation;

    public WebhookEndpoints(IServiceScopeFactory scopes, IChangeBus bus, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _scopes = scopes;
        _time = time;
        _subscription = bus.Subscribe(change =>
        {
            if (change.Change.ResourceType == "Subscription")
            {
                Invalidate();
            }
        });
    }

    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _known = null;
    }

    public async Task<IReadOnlyList<WebhookEndpoint>> AllAsync(CancellationToken cancellationToken)
    {
        if (_known is { } known && _time.GetUtcNow() - known.ReadAt < Fresh && known.Generation == Interlocked.Read(ref _generation))
        {
            return known.Endpoints;
        }

        await _reading.WaitAsync(cancellationToken);
        try
        {
            var generation = Interlocked.Read(ref _generation);
            await using var scope = _scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredKeyedService<IFhirStore>(FhirServiceKeys.Upstream);
            var all = await store.SearchAllAsync<Subscription>(WebhookSubscriptions.All(), cancellationToken);
            IReadOnlyList<WebhookEndpoint> endpoints = [.. all.Select(WebhookSubscriptions.Read).OfType<WebhookEndpoint>()];
            _known = (endpoints, _time.GetUtcNow(), generation);
            return endpoints;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>Records a webhook's new state in its Subscription (the gateway's own write, announced to every instance).</summary>
    public async Task SetStateAsync(string webhookId, WebhookState state, string? error, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IFhirStore>();
        if (await store.ReadAsync<Subscription>(webhookId, cancellationToken) is { } subscription && WebhookSubscriptions.Read(subscription) is { } current &&
            (current.State != state || current.LastError != error))
        {
            await store.UpdateAsync(WebhookSubscriptions.WithState(subscription, state, error), subscription.Meta?.VersionId, cancellationToken);
            Invalidate();
        }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _reading.Dispose();
    }
}
