using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// One Medplum FHIR server for every test class in the collection (they run one after another), and the gateways
/// in front of it, one per distinct setting, started once and shared.
/// </summary>
public sealed class MedplumFixture : IAsyncLifetime
{
    private readonly SharedGateways _gateways = new();

    private ServiceProvider? _services;

    public MedplumServer Server { get; private set; } = null!;

    /// <summary>Direct FHIR access to the same server, for tests to arrange data and check it.</summary>
    public IFhirStore Store { get; private set; } = null!;

    /// <summary>The store matrix's column "Medplum, written write by write with If-Match and undone on failure".</summary>
    public StoreGateways Compensating { get; private set; } = null!;

    /// <summary>The store matrix's column "Medplum with FHIR transaction Bundles".</summary>
    public StoreGateways Transactions { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await MedplumServer.StartAsync();
        _services = FhirStores.Rest(Server.FhirBaseUrl);
        Store = _services.GetRequiredService<IFhirStore>();
        Compensating = StoreGateways.OnServer(StoreKind.MedplumCompensating, Store, Settings(), _gateways);
        Transactions = StoreGateways.OnServer(StoreKind.MedplumTransactions, Store, Settings(), _gateways);
    }

    /// <summary>A gateway on this Medplum server with these settings (no retries, so faults show at once; no hold sweeps or change-feed polls).</summary>
    public Task<GatewayServer> GatewayAsync(params (string Key, string Value)[] settings)
    {
        var all = Settings(settings);
        return _gateways.GetAsync(all, () => GatewayServer.StartAsync(all));
    }

    public Dictionary<string, string?> Settings(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = Server.FhirBaseUrl,
            ["Fhir:RetryCount"] = 0.ToString(CultureInfo.InvariantCulture),
            // Sweeping for expired holds would add requests to every count; the hold-expiry tests turn it on.
            ["Booking:HoldSweepSeconds"] = 3600.ToString(CultureInfo.InvariantCulture),
            // Likewise the change feed's polls; the change-feed tests turn it on.
            ["ChangeFeed:PollSeconds"] = 0.ToString(CultureInfo.InvariantCulture),
            // Likewise the repair sweeps for interrupted changes; the change-safety tests turn them on.
            ["Changes:RepairSweepSeconds"] = 3600.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return all;
    }

    public async Task DisposeAsync()
    {
        await _gateways.DisposeAsync();

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class MedplumCollection : ICollectionFixture<MedplumFixture>
{
    public const string Name = "Medplum FHIR server";
}
