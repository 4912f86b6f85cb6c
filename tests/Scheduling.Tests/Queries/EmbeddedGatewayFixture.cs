using Scheduling.Testing;

namespace Scheduling.Tests.Queries;

/// <summary>
/// One gateway on the embedded, seeded store (no Fhir:BaseUrl), as `dotnet run` starts it: the store matrix's
/// embedded column (<see cref="Stores"/>), whose first shared gateway is <see cref="Gateway"/>.
/// </summary>
public sealed class EmbeddedGatewayFixture : IAsyncLifetime
{
    public StoreGateways Stores { get; private set; } = null!;

    public GatewayServer Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Stores = await StoreGateways.EmbeddedAsync();
        Gateway = await Stores.GatewayAsync();
    }

    public async Task DisposeAsync() => await Stores.DisposeAsync();
}
