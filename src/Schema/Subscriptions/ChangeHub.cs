using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;

namespace Scheduling.Schema.Subscriptions;

/// <summary>This instance's identity on the change bus.</summary>
public sealed class GatewayInstance
{
    public string Id { get; } = Environment.MachineName + "/" + Guid.NewGuid().ToString("N")[..8];
}

/// <summary>
/// Where resource changes meet subscribers on this instance. Every change (from this gateway's writes, another
/// instance, the change feed or a FHIR rest-hook) arrives here once per version: the resource is parsed once and
/// handed to every local listener, whichever way and however often it arrived.
/// </summary>
public sealed partial class ChangeHub : IDisposable
{
    private const int RememberedVersions = 10_000;

    private readonly IChangeBus _bus;
    private readonly GatewayInstance _instance;
    private readonly TimeProvider _time;
    private readonly ILogger<ChangeHub> _logger;
    private readonly IDisposable _busSubscription;
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _seenOrder = new();
    private readonly Lock _gate = new();
    private Action<ResourceEvent>[] _listeners = [];

    public ChangeHub(IChangeBus bus, GatewayInstance instance, TimeProvider time, ILogger<ChangeHub> logger)
    {
        _bus = bus;
        _instance = instance;
        _time = time;
        _logger = logger;
        _busSubscription = bus.Subscribe(Deliver);
    }

    /// <summary>Announces a change to every instance (this one included).</summary>
    public void Publish(Resource resource, ChangeKind kind) => _bus.Publish(ResourceChange.From(resource, kind, _instance.Id));

    /// <summary>Hands a change to this instance's listeners only (what this instance's change feed found).</summary>
    public void Deliver(ResourceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        // One version is one change however it arrived (the gateway's write, another instance, the feed);
        // only a deletion is news about a version already seen.
        var key = $"{change.ResourceType}/{change.Id}/{change.VersionId}" + (change.Kind == ChangeKind.Deleted ? "/deleted" : string.Empty);
        if (!_seen.TryAdd(key, 0))
        {
            return;
        }

        _seenOrder.Enqueue(key);
        while (_seenOrder.Count > RememberedVersions && _seenOrder.TryDequeue(out var old))
        {
            _seen.TryRemove(old, out _);
        }

        var resourceEvent = new ResourceEvent(change.Kind, change.ResourceType, change.Id, change.VersionId, change.LastUpdated, () =>
        {
            try
            {
                return change.ParseResource();
            }
            catch (Exception e) when (e is FormatException or Hl7.Fhir.Serialization.DeserializationFailedException)
            {
                LogUnreadable(_logger, change.ResourceType, change.Id, e);
                return null;
            }
        }, _time.GetUtcNow());

        foreach (var listener in Volatile.Read(ref _listeners))
        {
            listener(resourceEvent);
        }
    }

    /// <summary>Every change from now on; the handler must not block (it runs on the delivering thread).</summary>
    public IDisposable Listen(Action<ResourceEvent> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }

        return new Unlisten(this, listener);
    }

    public int ListenerCount => Volatile.Read(ref _listeners).Length;

    public void Dispose() => _busSubscription.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an unreadable change of {ResourceType}/{Id}")]
    private static partial void LogUnreadable(ILogger logger, string resourceType, string id, Exception exception);

    private sealed class Unlisten(ChangeHub hub, Action<ResourceEvent> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (hub._gate)
            {
                hub._listeners = [.. hub._listeners.Where(l => l != listener)];
            }
        }
    }
}
