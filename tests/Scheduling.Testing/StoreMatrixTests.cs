using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>
/// The base of a test class that runs on the store matrix: each store kind is a subclass naming only its fixture's
/// <see cref="StoreGateways"/>. <see cref="Store"/> is the store the test's gateways write to.
/// </summary>
public abstract class StoreMatrixTests(StoreGateways stores)
{
    private IFhirStore? _ownStore;

    protected StoreGateways Stores { get; } = stores;

    /// <summary>The shared gateways' store, or, once the test started a gateway of its own, that gateway's.</summary>
    protected IFhirStore Store => _ownStore ?? Stores.Store;

    /// <summary>The shared gateway with these settings on top of the store kind's.</summary>
    protected Task<GatewayServer> GatewayAsync(params (string Key, string Value)[] settings) => Stores.GatewayAsync(settings);

    /// <summary>A gateway of the test's own (it disposes it); from then on <see cref="Store"/> is its store.</summary>
    protected async Task<GatewayServer> StartGatewayAsync(
        Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, Func<IFhirStore, IFhirStore>? upstream = null)
    {
        var gateway = await Stores.StartAsync(settings, services, upstream);
        _ownStore = Stores.StoreOf(gateway);
        return gateway;
    }

    /// <summary>Two gateway instances of the test's own over one store (two replicas); the test disposes both.</summary>
    protected async Task<(GatewayServer First, GatewayServer Second)> StartTwoGatewaysAsync(Dictionary<string, string?> settings)
    {
        var first = await StartGatewayAsync(settings);
        return (first, await Stores.StartAsync(settings, sameStoreAs: first));
    }
}
