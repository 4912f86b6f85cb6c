using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;

namespace Scheduling.Testing;

/// <summary>The store a gateway runs on and how it writes a change: the three columns of the store matrix.</summary>
public enum StoreKind
{
    /// <summary>The embedded in-memory store (every change one atomic transaction).</summary>
    Embedded,

    /// <summary>A FHIR server (Medplum), written write by write with If-Match and undone on failure (the portable path).</summary>
    MedplumCompensating,

    /// <summary>A FHIR server (Medplum) with FHIR transaction Bundles (entries carrying If-Match).</summary>
    MedplumTransactions,
}

/// <summary>Gateways started once per distinct settings and shared until disposed.</summary>
public sealed class SharedGateways : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<GatewayServer>>> _gateways = new(StringComparer.Ordinal);

    /// <summary>The gateway with exactly these settings, started by <paramref name="start"/> the first time they are asked for.</summary>
    public Task<GatewayServer> GetAsync(IReadOnlyDictionary<string, string?> settings, Func<Task<GatewayServer>> start)
    {
        var key = string.Join(';', settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key + "=" + s.Value));
        return _gateways.GetOrAdd(key, _ => new Lazy<Task<GatewayServer>>(start)).Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways.Values.Where(g => g.IsValueCreated))
        {
            await (await gateway.Value).DisposeAsync();
        }
    }
}

/// <summary>
/// The gateways of one <see cref="StoreKind"/>, put together one way for every test class that runs on the store
/// matrix: shared gateways (one per distinct settings, over <see cref="Store"/>) and gateways of a test's own.
/// </summary>
public sealed class StoreGateways : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly SharedGateways _shared;
    private readonly bool _ownsShared;

    private StoreGateways(StoreKind kind, IFhirStore store, IReadOnlyDictionary<string, string?> settings, SharedGateways shared, bool ownsShared)
    {
        Kind = kind;
        Store = store;
        _settings = settings;
        _shared = shared;
        _ownsShared = ownsShared;
    }

    public StoreKind Kind { get; }

    /// <summary>Direct access to the store the shared gateways write to, for tests to arrange data and check it.</summary>
    public IFhirStore Store { get; }

    /// <summary>
    /// The embedded store of a gateway started as <c>dotnet run</c> starts it (no Fhir:BaseUrl, seeded), which is the
    /// first shared gateway; the other shared gateways are put on the same store.
    /// </summary>
    public static async Task<StoreGateways> EmbeddedAsync()
    {
        var shared = new SharedGateways();
        try
        {
            var first = await shared.GetAsync(new Dictionary<string, string?>(), () => GatewayServer.StartAsync());
            return new StoreGateways(StoreKind.Embedded, first.Services.GetRequiredService<InMemoryFhirStore>(), new Dictionary<string, string?>(), shared, ownsShared: true);
        }
        catch
        {
            await shared.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A FHIR server in one write mode: <paramref name="serverSettings"/> point a gateway at it, <paramref name="store"/>
    /// reads and writes it directly, and <paramref name="shared"/> (its owner's, who disposes it) keeps the shared gateways.
    /// </summary>
    public static StoreGateways OnServer(StoreKind kind, IFhirStore store, IReadOnlyDictionary<string, string?> serverSettings, SharedGateways shared)
    {
        if (kind == StoreKind.Embedded)
        {
            throw new ArgumentException("the embedded store is no server", nameof(kind));
        }

        var settings = new Dictionary<string, string?>(serverSettings)
        {
            ["Fhir:UseTransactions"] = kind == StoreKind.MedplumTransactions ? "true" : "false",
        };
        return new StoreGateways(kind, store, settings, shared, ownsShared: false);
    }

    /// <summary>The shared gateway with these settings on top of the kind's (started on first use, disposed with the fixture).</summary>
    public Task<GatewayServer> GatewayAsync(params (string Key, string Value)[] settings)
    {
        var all = Settings(settings.ToDictionary(s => s.Key, s => (string?)s.Value));
        return _shared.GetAsync(all, () => GatewayServer.StartAsync(all, OnStore));
    }

    /// <summary>
    /// A gateway of the caller's own (the caller disposes it) with these settings on top of the kind's and these
    /// service replacements (a clock). On the embedded store it has a store of its own, empty but for the seed, unless
    /// <paramref name="sameStoreAs"/> names a gateway to share one with; on a server it writes to the server as all do.
    /// </summary>
    /// <param name="upstream">Wraps the store the gateway writes to (a hook before its writes), if given.</param>
    public Task<GatewayServer> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        Func<IFhirStore, IFhirStore>? upstream = null,
        GatewayServer? sameStoreAs = null) =>
        GatewayServer.StartAsync(Settings(settings), collection =>
        {
            if (sameStoreAs is not null && Kind == StoreKind.Embedded)
            {
                collection.AddSingleton(sameStoreAs.Services.GetRequiredService<InMemoryFhirStore>());
            }

            if (upstream is not null)
            {
                collection.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (provider, _) => upstream(Kind == StoreKind.Embedded
                    ? provider.GetRequiredService<InMemoryFhirStore>()
                    : ActivatorUtilities.CreateInstance<RestFhirStore>(provider)));
            }

            services?.Invoke(collection);
        });

    /// <summary>The store <paramref name="gateway"/> writes to (on the embedded store each gateway of a test's own has its own).</summary>
    public IFhirStore StoreOf(GatewayServer gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return Kind == StoreKind.Embedded ? gateway.Services.GetRequiredService<InMemoryFhirStore>() : Store;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsShared)
        {
            await _shared.DisposeAsync();
        }
    }

    private Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return all;
    }

    /// <summary>A shared gateway other than the embedded first one is put on the same embedded store.</summary>
    private void OnStore(IServiceCollection services)
    {
        if (Kind == StoreKind.Embedded)
        {
            services.AddSingleton((InMemoryFhirStore)Store);
        }
    }
}
