using Scheduling.Testing;

namespace Scheduling.Tests.Fhir;

/// <summary>One Medplum FHIR server for every test class in the collection (they run one after another).</summary>
public sealed class MedplumFixture : IAsyncLifetime
{
    public MedplumServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await MedplumServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class MedplumCollection : ICollectionFixture<MedplumFixture>
{
    public const string Name = "Medplum FHIR server";
}
