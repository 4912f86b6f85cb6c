using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Subscriptions;

/// <summary>This instance's identity on the change bus.</summary>
public sealed class GatewayInstance
{
    public string Id { get; } = Environment.MachineName + "/" + Guid.NewGuid().ToString("N")[..8];
}

/// <summary>
/// Where resource changes meet their listeners on this instance, once per version however and however often they
/// arrive (this gateway's writes, another instance, the change feed, a FHIR rest-hook). Two kinds of listener:
/// <see cref="Listen"/> hears a change at once, before it is recorded (the cache: a read after a write must not see
/// the old version); <see cref="Follow"/> receives the change stream in its order, each change with its id (the
/// subscriptions: what a client receives live and what it reads back when it resumes are one sequence). The resource
/// is parsed once for all followers.
/// </summary>
public sealed partial class ChangeHub : IDisposable
{
    private readonly IChangeBus _bus;
    private readonly GatewayInstance _instance;
    private readonly TimeProvider _time;
    private readonly ILogger<ChangeHub> _logger;
    private readonly IDisposable _busSubscription;
    private readonly SeenVersions _heard = new();
    private readonly SeenVersions _followed = new();
    private readonly Handlers<ResourceEvent> _listeners;
    private readonly Handlers<ResourceEvent> _followers;
    private readonly Lock _writeGate = new();
    private readonly List<RecordedChange> _write = []; // the stream's changes of one write heard so far

    public ChangeHub(IChangeBus bus, GatewayInstance instance, TimeProvider time, ILogger<ChangeHub> logger, IOptions<ChangeHistoryOptions>? history = null)
    {
        ArgumentNullException.ThrowIfNull(bus);
        Carried = new CarriedResources(time, TimeSpan.FromSeconds((history?.Value ?? new ChangeHistoryOptions()).CarriedResourceSeconds));
        _bus = bus;
        _instance = instance;
        _time = time;
        _logger = logger;
        _listeners = new(e => LogHandlerFailed(logger, "listener", e));
        _followers = new(e => LogHandlerFailed(logger, "follower", e));
        _busSubscription = bus.Subscribe(OnRecorded);
    }

    /// <summary>The newest version of each resource the stream carried here lately (heard before any listener hears the change).</summary>
    public CarriedResources Carried { get; }

    /// <summary>Announces a change this gateway made to every instance (this one included).</summary>
    public Task PublishAsync(Resource resource, ChangeKind kind) => PublishAsync(ResourceChange.From(resource, kind, InstanceId));

    /// <summary>This instance's id on the bus (what its changes carry as their origin).</summary>
    public string InstanceId => _instance.Id;

    /// <summary>
    /// Announces a change to every instance: this instance's listeners hear it now, then it is recorded in the
    /// stream and followed everywhere. A version already known (the change feed finding this gateway's own write,
    /// or a change another instance recorded) is not recorded again.
    /// </summary>
    public Task PublishAsync(ResourceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Hear(change) ? _bus.PublishAsync(change) : Task.CompletedTask;
    }

    /// <summary>
    /// Announces the changes of one transaction: all of them are heard (and carried) before the stream hands the
    /// first to its followers, so an event of the transaction never resolves another of its resources in the version
    /// before it (a cancellation's appointment event found its slot still BUSY: the slot, written in the same
    /// transaction, was carried only after the appointment's event had run).
    /// </summary>
    public async Task PublishAllAsync(IReadOnlyList<ResourceChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var news = changes.Where(Hear).ToList();
        await _bus.PublishAllAsync(news);
    }

    /// <summary>What came after a client's last event, as the followers received it, or why the client must refetch.</summary>
    public async Task<(IReadOnlyList<ResourceEvent> Events, ChangeEventId? Head, RefetchReason? Refetch)> HistoryAfterAsync(ChangeEventId after, CancellationToken cancellationToken)
    {
        var history = await _bus.ReadAfterAsync(after, cancellationToken);
        return ([.. history.Changes.Select(c => EventOf(c.Change, c.Id))], history.Head, history.Refetch);
    }

    /// <summary>Every change from now on, at once; the handler must not block (it runs on the delivering thread).</summary>
    public IDisposable Listen(Action<ResourceEvent> listener) => _listeners.Add(listener);

    /// <summary>Every change from now on in the stream's order, with its id; the handler must not block.</summary>
    public IDisposable Follow(Action<ResourceEvent> follower) => _followers.Add(follower);

    public int ListenerCount => _listeners.Count + _followers.Count;

    public void Dispose() => _busSubscription.Dispose();

    private bool Hear(ResourceChange change)
    {
        if (!_heard.Add(change))
        {
            return false;
        }

        var heard = EventOf(change, null);
        Carried.Keep(heard);
        _listeners.Deliver(heard);

        return true;
    }

    /// <summary>
    /// A change the stream delivers: heard at once (carried), followed once the rest of its write has been heard too.
    /// Only the stream's reader delivers changes with ids, one at a time, so the write held back is the reader's.
    /// </summary>
    private void OnRecorded(RecordedChange recorded)
    {
        Hear(recorded.Change); // another instance's change: heard here first
        if (recorded.Id is null)
        {
            FollowOne(recorded);
            return;
        }

        foreach (var change in WriteHeard(recorded))
        {
            FollowOne(change);
        }
    }

    /// <summary>
    /// The changes to follow now: none while the rest of <paramref name="recorded"/>'s write is still to come. Every
    /// bus hands a write's readable changes on one after another, each with how many of them follow it, down to 0
    /// (<see cref="IChangeBus"/>; the Redis reader counts only the entries it could read), so the write held back
    /// always ends with the change that says none follow.
    /// </summary>
    private RecordedChange[] WriteHeard(RecordedChange recorded)
    {
        lock (_writeGate)
        {
            _write.Add(recorded);
            if (recorded.FollowedBy > 0)
            {
                return []; // the rest of its write follows in the stream: all heard first, then followed
            }

            RecordedChange[] ready = [.. _write];
            _write.Clear();
            return ready;
        }
    }

    private void FollowOne(RecordedChange recorded)
    {
        if (!_followed.Add(recorded.Change))
        {
            return;
        }

        var followed = EventOf(recorded.Change, recorded.Id);
        if (recorded.Id is { } id && _logger.IsEnabled(LogLevel.Debug))
        {
            // Where an event's time goes (the subscriber bench reads it): from its write (its id's time) to here.
            var text = id.ToString();
            var after = (_time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(id.Milliseconds)).TotalMilliseconds;
            LogFollowed(_logger, text, after);
        }

        _followers.Deliver(followed);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "stage followed {EventId} after={Milliseconds:F1}")]
    private static partial void LogFollowed(ILogger logger, string eventId, double milliseconds);

    private ResourceEvent EventOf(ResourceChange change, ChangeEventId? id) =>
        new(change.Kind, change.ResourceType, change.Id, change.VersionId, change.LastUpdated, () =>
        {
            try
            {
                return change.ParseResource();
            }
            catch (Exception e) when (FhirJson.IsRefusal(e))
            {
                LogUnreadable(_logger, change.ResourceType, change.Id, e);
                return null;
            }
        }, id is { } recorded ? DateTimeOffset.FromUnixTimeMilliseconds(recorded.Milliseconds) : _time.GetUtcNow(), id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an unreadable change of {ResourceType}/{Id}")]
    private static partial void LogUnreadable(ILogger logger, string resourceType, string id, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Kind} of the change hub failed on a change; the others and its next changes are delivered all the same")]
    private static partial void LogHandlerFailed(ILogger logger, string kind, Exception exception);
}
