using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>The lifecycle on the embedded store (atomic transactions).</summary>
public sealed class EmbeddedBookingLifecycleTests(EmbeddedGatewayFixture fixture) : BookingLifecycleTests, IClassFixture<EmbeddedGatewayFixture>
{
    protected override IFhirStore Store => fixture.Gateway.Services.GetRequiredService<InMemoryFhirStore>();

    protected override Task<GatewayServer> GatewayAsync() => Task.FromResult(fixture.Gateway);
}

/// <summary>The lifecycle on Medplum, written slot by slot with If-Match and undone on failure (the portable path).</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingBookingLifecycleTests(MedplumFixture medplum) : BookingLifecycleTests
{
    protected override IFhirStore Store => medplum.Store;

    protected override Task<GatewayServer> GatewayAsync() => medplum.GatewayAsync(("Fhir:UseTransactions", "false"));
}

/// <summary>The lifecycle on Medplum with FHIR transaction Bundles (entries carrying If-Match).</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionBookingLifecycleTests(MedplumFixture medplum) : BookingLifecycleTests
{
    protected override IFhirStore Store => medplum.Store;

    protected override Task<GatewayServer> GatewayAsync() => medplum.GatewayAsync(("Fhir:UseTransactions", "true"));
}
