using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>The lifecycle on the embedded store (atomic transactions).</summary>
public sealed class EmbeddedBookingLifecycleTests(EmbeddedGatewayFixture fixture) : BookingLifecycleTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

/// <summary>The lifecycle on Medplum, written slot by slot with If-Match and undone on failure (the portable path).</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingBookingLifecycleTests(MedplumFixture medplum) : BookingLifecycleTests(medplum.Compensating);

/// <summary>The lifecycle on Medplum with FHIR transaction Bundles (entries carrying If-Match).</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionBookingLifecycleTests(MedplumFixture medplum) : BookingLifecycleTests(medplum.Transactions);
