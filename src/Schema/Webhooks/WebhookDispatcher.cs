using System.Threading.Channels;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.Webhooks;

/// <summary>
/// Turns appointment changes into webhook deliveries, at least once, each event to each matching endpoint once
/// across instances in normal operation. Intake: every instance follows the change bus (<see cref="IChangeBus"/>),
/// classifies each recorded appointment change and offers it to the shared queue, where only the first offer of an
/// event id counts (<see cref="IWebhookStore.EnqueueAsync"/>). Delivery: every instance claims due jobs with a lease,
/// posts them signed, logs each attempt, and on failure schedules the next with backoff (<see cref="WebhookBackoff"/>)
/// until <see cref="WebhookOptions.MaxAttempts"/>; 410 Gone disables the endpoint. Nothing happens when webhooks are off.
/// </summary>
public sealed partial class WebhookDispatcher(
    IChangeBus bus, WebhookEndpoints endpoints, IWebhookStore store, WebhookHttp http, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookDispatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private readonly Channel<RecordedChange> _changes = Channel.CreateUnbounded<RecordedChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _wake = new(0, 1);
    private WebhookOptions Options => options.Value;

    protected override async System.Threading.Tasks.Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Enabled)
        {
            return;
        }

        using var following = bus.Subscribe(change =>
        {
            if (change.Change.ResourceType == "Appointment")
            {
                _changes.Writer.TryWrite(change);
            }
        });
        await System.Threading.Tasks.Task.WhenAll(IntakeAsync(stoppingToken), DeliverAsync(stoppingToken));
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private async System.Threading.Tasks.Task IntakeAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in _changes.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    if (await OfferAsync(change, stoppingToken))
                    {
                        Wake();
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogIntakeFailed(logger, change.Id?.ToString(), e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>One recorded appointment change as an event for the endpoints that want its type; false when there is nothing to send.</summary>
    private async Task<bool> OfferAsync(RecordedChange recorded, CancellationToken cancellationToken)
    {
        // Not in the stream (Redis was away): no id to de-duplicate on, so not sent (the README says so).
        if (recorded.Id is not { } id || recorded.Change.ParseResource() is not Appointment appointment)
        {
            return false;
        }

        var shape = AppointmentShape.Of(appointment);
        var now = time.GetUtcNow();
        var previous = await store.SwapShapeAsync(recorded.Change.Id, id, shape, now);
        var type = WebhookEvents.Classify(recorded.Change.Kind, previous, shape);
        var targets = (await endpoints.AllAsync(cancellationToken)).Where(e => e.Receives(type)).Select(e => e.Id).ToList();
        if (targets.Count == 0)
        {
            return false;
        }

        var eventId = id.ToString();
        var body = WebhookEvents.Body(eventId, type, DateTimeOffset.FromUnixTimeMilliseconds(id.Milliseconds), appointment, previous);
        return await store.EnqueueAsync(new WebhookEvent(eventId, type, body), targets, now);
    }

    private async System.Threading.Tasks.Task DeliverAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(Options.Concurrency, Options.Concurrency);
        var running = new List<System.Threading.Tasks.Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<WebhookJob> jobs = [];
            try
            {
                running.RemoveAll(t => t.IsCompleted);
                if (slots.CurrentCount > 0)
                {
                    jobs = await store.ClaimDueAsync(time.GetUtcNow(), TimeSpan.FromSeconds(Options.LeaseSeconds), slots.CurrentCount);
                }

                foreach (var job in jobs)
                {
                    await slots.WaitAsync(stoppingToken);
                    running.Add(System.Threading.Tasks.Task.Run(async () =>
                    {
                        try
                        {
                            await DeliverAsync(job, stoppingToken);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    }, CancellationToken.None));
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogClaimFailed(logger, e);
            }

            if (jobs.Count == 0)
            {
                try
                {
                    await _wake.WaitAsync(Poll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await System.Threading.Tasks.Task.WhenAll(running);
    }

    /// <summary>One attempt of one job: sent, logged, then completed or scheduled again.</summary>
    private async System.Threading.Tasks.Task DeliverAsync(WebhookJob job, CancellationToken stoppingToken)
    {
        try
        {
            var endpoint = (await endpoints.AllAsync(stoppingToken)).FirstOrDefault(e => e.Id == job.EndpointId);
            var webhookEvent = await store.EventAsync(job.EventId);
            if (endpoint is null || endpoint.State == WebhookState.Disabled || webhookEvent is null)
            {
                await store.CompleteAsync(job); // deleted, disabled, or the event is no longer kept
                return;
            }

            var secret = WebhookRegistry.SecretOf(Options, endpoint);
            var response = await http.SendAsync(endpoint.Url, secret, webhookEvent, job.Attempt, stoppingToken);
            var now = time.GetUtcNow();
            var outcome = response.OutcomeOf(job.Attempt, Options.MaxAttempts);
            await store.AppendLogAsync(endpoint.Id, new WebhookAttempt(job.EventId, WebhookEvents.Name(webhookEvent.Type), job.Attempt, outcome,
                response.StatusCode, (long)response.Duration.TotalMilliseconds, response.Error, now, job.IsReplay), now);
            if (outcome == WebhookOutcome.Retrying)
            {
                var delay = WebhookBackoff.DelayAfter(job.Attempt, TimeSpan.FromMilliseconds(Options.BaseDelayMilliseconds),
                    TimeSpan.FromSeconds(Options.MaxDelaySeconds), Random.Shared.NextDouble());
                await store.RetryAsync(job, now + delay);
                return;
            }

            await store.CompleteAsync(job);
            var (state, error) = outcome switch
            {
                WebhookOutcome.Delivered => (WebhookState.Active, (string?)null),
                WebhookOutcome.Disabled => (WebhookState.Disabled, "The receiver answered 410 Gone: disabled."),
                _ => (WebhookState.Error, $"Event {job.EventId} failed after {job.Attempt} attempts: {response.Error}"),
            };
            if (state != endpoint.State || (state == WebhookState.Error && endpoint.LastError != error))
            {
                await endpoints.SetStateAsync(endpoint.Id, state, error, stoppingToken);
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // The lease runs out and the job comes due again: at least once.
            LogDeliveryFailed(logger, job.EventId, job.EndpointId, e);
        }
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
            // already woken, or stopping
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not queue webhook deliveries of change {EventId}")]
    private static partial void LogIntakeFailed(ILogger logger, string? eventId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim due webhook deliveries; trying again")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering event {EventId} to webhook {WebhookId} failed; it is tried again when its lease ends")]
    private static partial void LogDeliveryFailed(ILogger logger, string eventId, string webhookId, Exception exception);
}
