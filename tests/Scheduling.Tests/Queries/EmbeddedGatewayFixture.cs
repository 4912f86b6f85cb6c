using Scheduling.Testing;

namespace Scheduling.Tests.Queries;

/// <summary>One gateway on the embedded, seeded store (no Fhir:BaseUrl), as `dotnet run` starts it.</summary>
public sealed class EmbeddedGatewayFixture : IAsyncLifetime
{
    public GatewayServer Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayServer.StartAsync();

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}
