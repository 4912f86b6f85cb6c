using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// What the gateway relies on from FHIR, asserted against both implementations: the embedded store and a real
/// FHIR server (Medplum's engine over HTTP through <see cref="RestFhirStore"/>). What passes on one passes on the other.
/// Every test makes its own resources (unique ids), so the suite runs on a shared server.
/// </summary>
public abstract class FhirStoreContractTests
{
    protected abstract IFhirStore Store { get; }

    private static CancellationToken None => CancellationToken.None;

    [Fact]
    public async Task Create_assigns_an_id_and_a_version_and_read_returns_it()
    {
        var created = await Store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Contract", Given = ["Ada"] }] }, None);

        Assert.True(FhirReference.IsValidId(created.Id));
        Assert.False(string.IsNullOrEmpty(created.Meta?.VersionId));
        var read = await Store.ReadAsync<Practitioner>(created.Id!, None);
        Assert.Equal("Contract", read!.Name[0].Family);
    }

    [Fact]
    public async Task Reading_an_unknown_id_gives_null()
    {
        Assert.Null(await Store.ReadAsync(new FhirReference("Practitioner", "does-not-exist-" + Guid.NewGuid().ToString("N")[..8]), None));
    }

    [Fact]
    public async Task Update_with_the_current_version_succeeds_and_a_stale_version_is_a_conflict()
    {
        var slot = await Store.CreateAsync(NewSlot(await NewScheduleAsync(), new DateTimeOffset(2030, 1, 7, 9, 0, 0, TimeSpan.Zero)), None);
        var v1 = slot.Meta!.VersionId!;

        slot.Status = Slot.SlotStatus.Busy;
        var updated = await Store.UpdateAsync(slot, v1, None);
        Assert.NotEqual(v1, updated.Meta!.VersionId);
        Assert.Equal(Slot.SlotStatus.Busy, updated.Status);

        // A second writer still holding v1 loses: this is what makes double-booking impossible.
        slot.Status = Slot.SlotStatus.BusyTentative;
        await Assert.ThrowsAsync<FhirVersionConflictException>(() => Store.UpdateAsync(slot, v1, None));
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(slot.Id!, None))!.Status);
    }

    [Fact]
    public async Task Search_by_reference_token_and_date_range_sorted_by_start()
    {
        var schedule = await NewScheduleAsync();
        var other = await NewScheduleAsync();
        var monday = new DateTimeOffset(2030, 3, 4, 9, 0, 0, TimeSpan.FromHours(-5));
        for (var i = 0; i < 6; i++)
        {
            await Store.CreateAsync(NewSlot(schedule, monday.AddMinutes(30 * (5 - i)), i % 2 == 0 ? Slot.SlotStatus.Free : Slot.SlotStatus.Busy), None);
        }

        await Store.CreateAsync(NewSlot(other, monday), None);

        var all = await Store.SearchAllAsync<Slot>(new FhirQuery("Slot").Where("schedule", "Schedule/" + schedule.Id).SortBy([("start", false)]), None);
        Assert.Equal(6, all.Count);
        Assert.Equal(all.OrderBy(s => s.Start).Select(s => s.Id), all.Select(s => s.Id));

        var free = await Store.SearchAllAsync<Slot>(new FhirQuery("Slot").Where("schedule", "Schedule/" + schedule.Id).Where("status", "free"), None);
        Assert.Equal(3, free.Count);
        Assert.All(free, s => Assert.Equal(Slot.SlotStatus.Free, s.Status));

        var either = await Store.SearchAllAsync<Slot>(
            new FhirQuery("Slot").Where("schedule", "Schedule/" + schedule.Id).WhereAny("status", ["free", "busy"]), None);
        Assert.Equal(6, either.Count);

        var window = await Store.SearchAllAsync<Slot>(new FhirQuery("Slot")
            .Where("schedule", "Schedule/" + schedule.Id)
            .WhereDate("start", "ge", monday.AddMinutes(30))
            .WhereDate("start", "lt", monday.AddMinutes(90)), None);
        Assert.Equal(2, window.Count);

        var descending = await Store.SearchAllAsync<Slot>(new FhirQuery("Slot").Where("schedule", "Schedule/" + schedule.Id).SortBy([("start", true)]), None);
        Assert.Equal(all.Select(s => s.Id).Reverse(), descending.Select(s => s.Id));
    }

    [Fact]
    public async Task Batched_reference_search_ORs_targets_and_paging_reads_every_page()
    {
        var a = await NewScheduleAsync();
        var b = await NewScheduleAsync();
        var start = new DateTimeOffset(2030, 5, 6, 8, 0, 0, TimeSpan.Zero);
        await Task.WhenAll(Enumerable.Range(0, 25).Select(i => Store.CreateAsync(NewSlot(i % 2 == 0 ? a : b, start.AddMinutes(15 * i)), None)));

        var both = new FhirQuery("Slot").WhereAny("schedule", ["Schedule/" + a.Id, "Schedule/" + b.Id]);
        Assert.Equal(25, (await Store.SearchAllAsync(both, None)).Count);

        var page = await Store.SearchAsync(both.Clone().SortBy([("start", false)]).Count(10).Offset(20).WithTotal(), None);
        Assert.Equal(5, page.Resources.Count);
        Assert.Equal(25, page.Total);
    }

    [Fact]
    public async Task Search_by_id_list_and_string_name()
    {
        var family = "Zed" + Guid.NewGuid().ToString("N")[..6];
        var first = await Store.CreateAsync(new Patient { Name = [new HumanName { Family = family, Given = ["Homer"] }] }, None);
        var second = await Store.CreateAsync(new Patient { Name = [new HumanName { Family = family, Given = ["Marge"] }] }, None);

        var byIds = await Store.SearchAllAsync(new FhirQuery("Patient").WhereAny("_id", [first.Id!, second.Id!, "unknown-id"]), None);
        Assert.Equal(2, byIds.Count);

        var byName = await Store.SearchAllAsync(new FhirQuery("Patient").Where("name", family.ToLowerInvariant()), None);
        Assert.Equal(2, byName.Count);
        var byGiven = await Store.SearchAllAsync(new FhirQuery("Patient").Where("name", family).Where("given", "marg"), None);
        Assert.Equal(second.Id, Assert.Single(byGiven).Id);
    }

    [Fact]
    public async Task Appointment_practitioner_and_patient_parameters_follow_the_actor_type()
    {
        var practitioner = await Store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Actor" }] }, None);
        var patient = await Store.CreateAsync(new Patient { Name = [new HumanName { Family = "Actor" }] }, None);
        var appointment = await Store.CreateAsync(new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Participant =
            [
                new() { Actor = new ResourceReference("Patient/" + patient.Id), Status = ParticipationStatus.Accepted },
                new() { Actor = new ResourceReference("Practitioner/" + practitioner.Id), Status = ParticipationStatus.Accepted },
            ],
        }, None);

        Assert.Equal(appointment.Id, Assert.Single(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("practitioner", "Practitioner/" + practitioner.Id), None)).Id);
        Assert.Equal(appointment.Id, Assert.Single(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + patient.Id), None)).Id);
        // The patient's id under the practitioner parameter is no match: resolve() is Practitioner is false.
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("practitioner", "Practitioner/" + patient.Id), None));
    }

    [Theory]
    [InlineData("1&_include=*")]
    [InlineData("x,")]
    [InlineData("x|")]
    [InlineData("$everything,")]
    [InlineData("\\,")]
    public async Task Escaped_values_cannot_add_parameters_or_alternatives(string hostile)
    {
        var schedule = await NewScheduleAsync();
        await Store.CreateAsync(NewSlot(schedule, new DateTimeOffset(2030, 9, 2, 9, 0, 0, TimeSpan.Zero)), None);
        var real = "Schedule/" + schedule.Id;
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("Slot").Where("schedule", real), None));

        // Unescaped, "x,Schedule/1" would be two alternatives and match the slot; escaped it is one literal.
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Slot").Where("schedule", hostile + real), None));
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Slot").Where("_id", hostile), None));
    }

    [Fact]
    public async Task Search_by_the_common_parameters_tag_and_last_updated()
    {
        var code = "tag-" + Guid.NewGuid().ToString("N")[..8];
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var tagged = await Store.CreateAsync(new Appointment
        {
            Meta = new Meta { Tag = [new Coding("urn:test:tags", code)] },
            Status = Appointment.AppointmentStatus.Pending,
            Participant = [new() { Status = ParticipationStatus.NeedsAction }],
        }, None);

        var byTag = await Store.SearchAllAsync(new FhirQuery("Appointment").WhereToken("_tag", "urn:test:tags", code).Where("status", "pending"), None);
        Assert.Equal(tagged.Id, Assert.Single(byTag).Id);
        var recent = await Store.SearchAllAsync(new FhirQuery("Appointment").WhereToken("_tag", "urn:test:tags", code).WhereDate("_lastUpdated", "gt", before), None);
        Assert.Single(recent);
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Appointment").WhereToken("_tag", "urn:test:tags", code).WhereDate("_lastUpdated", "lt", before), None));
    }

    [Fact]
    public async Task Conditional_create_creates_once_and_then_returns_the_existing_resource()
    {
        var schedule = await NewScheduleAsync();
        var start = new DateTimeOffset(2030, 10, 1, 9, 0, 0, TimeSpan.FromHours(2));
        var condition = new FhirQuery("Slot").Where("schedule", "Schedule/" + schedule.Id).WhereDate("start", "eq", start);

        var (first, created) = await Store.CreateIfNoneExistAsync(NewSlot(schedule, start), condition, None);
        var (second, createdAgain) = await Store.CreateIfNoneExistAsync(NewSlot(schedule, start, Slot.SlotStatus.Busy), condition, None);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(Slot.SlotStatus.Free, second.Status);
    }

    [Fact]
    public async Task Delete_honours_If_Match_and_deleting_what_is_gone_is_no_error()
    {
        var slot = await Store.CreateAsync(NewSlot(await NewScheduleAsync(), new DateTimeOffset(2030, 10, 2, 9, 0, 0, TimeSpan.Zero)), None);
        var reference = new FhirReference("Slot", slot.Id!);
        var booking = slot.DeepCopy();
        booking.Status = Slot.SlotStatus.Busy;
        var booked = await Store.UpdateAsync(booking, slot.Meta!.VersionId, None);

        // Whoever read the free slot must not delete it once it is booked.
        await Assert.ThrowsAsync<FhirVersionConflictException>(() => Store.DeleteAsync(slot, None));
        Assert.NotNull(await Store.ReadAsync(reference, None));

        await Store.DeleteAsync(booked, None);
        Assert.Null(await Store.ReadAsync(reference, None));
        await Store.DeleteAsync(new Slot { Id = slot.Id }, None);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_versioned_write_of_a_resource_deleted_since_it_was_read_is_a_conflict_and_writes_nothing(bool useTransactions)
    {
        var changes = ChangeSet(useTransactions);
        var schedule = await NewScheduleAsync();
        var start = new DateTimeOffset(2030, 11, 5, 9, 0, 0, TimeSpan.Zero);
        var kept = await Store.CreateAsync(NewSlot(schedule, start), None);
        var deleted = await Store.CreateAsync(NewSlot(schedule, start.AddMinutes(30)), None);
        await Store.DeleteAsync(deleted, None);

        // A block racing a deleteSlots: it read the slot before the delete. Losing that race is a lost If-Match.
        var takeKept = kept.DeepCopy();
        takeKept.Status = Slot.SlotStatus.BusyUnavailable;
        var takeDeleted = deleted.DeepCopy();
        takeDeleted.Status = Slot.SlotStatus.BusyUnavailable;
        await Assert.ThrowsAsync<FhirVersionConflictException>(() => changes.ApplyAsync([FhirWrite.Update(kept, takeKept), FhirWrite.Update(deleted, takeDeleted)], None));

        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(kept.Id!, None))!.Status);
        Assert.Null(await Store.ReadAsync<Slot>(deleted.Id!, None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_change_is_applied_whole_or_not_at_all(bool useTransactions)
    {
        var changes = ChangeSet(useTransactions);
        var schedule = await NewScheduleAsync();
        var start = new DateTimeOffset(2030, 11, 4, 9, 0, 0, TimeSpan.Zero);
        var first = await Store.CreateAsync(NewSlot(schedule, start), None);
        var second = await Store.CreateAsync(NewSlot(schedule, start.AddMinutes(30)), None);

        // Someone books the second slot after we read it.
        var stale = second.DeepCopy();
        second.Status = Slot.SlotStatus.Busy;
        await Store.UpdateAsync(second, second.Meta!.VersionId, None);

        var marker = "whole-" + Guid.NewGuid().ToString("N")[..8];
        var takeFirst = first.DeepCopy();
        takeFirst.Status = Slot.SlotStatus.Busy;
        var takeSecond = stale.DeepCopy();
        takeSecond.Status = Slot.SlotStatus.Busy;
        var appointment = new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Description = marker,
            Identifier = [new Identifier("urn:test", marker)],
            Participant = [new() { Status = ParticipationStatus.Accepted }],
        };
        var byMarker = new FhirQuery("Appointment").WhereToken("identifier", "urn:test", marker);

        await Assert.ThrowsAsync<FhirVersionConflictException>(() => changes.ApplyAsync(
            [FhirWrite.Update(first, takeFirst), FhirWrite.Update(stale, takeSecond), FhirWrite.Create(appointment)], None));

        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(first.Id!, None))!.Status);
        Assert.Empty(await Store.SearchAllAsync(byMarker, None));

        // With current versions the same change goes through whole.
        var current = (await Store.ReadAsync<Slot>(first.Id!, None))!;
        var take = current.DeepCopy();
        take.Status = Slot.SlotStatus.Busy;
        appointment.Slot = [new ResourceReference("Slot/" + current.Id)];
        var results = await changes.ApplyAsync([FhirWrite.Update(current, take), FhirWrite.Create(appointment)], None);
        Assert.Equal(Slot.SlotStatus.Busy, ((Slot)results[0]).Status);
        Assert.Equal(marker, Assert.Single(await Store.SearchAllAsync<Appointment>(new FhirQuery("Appointment").Where("slot", "Slot/" + current.Id), None)).Description);
        Assert.Single(await Store.SearchAllAsync(byMarker, None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_empty_change_sends_nothing(bool useTransactions) =>
        Assert.Empty(await ChangeSet(useTransactions).ApplyAsync([], None));

    [Fact]
    public async Task A_write_whose_answer_was_lost_is_undone_from_a_fresh_read_and_no_intent_is_left()
    {
        var schedule = await NewScheduleAsync();
        var slot = await Store.CreateAsync(NewSlot(schedule, DateTimeOffset.UtcNow.AddDays(4)), None);
        var take = slot.DeepCopy();
        take.Status = Slot.SlotStatus.Busy;
        var marker = "lost-" + Guid.NewGuid().ToString("N")[..8];
        var appointment = new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Identifier = [new Identifier("urn:test", marker)],
            Participant = [new() { Status = ParticipationStatus.Accepted }],
            Slot = [new ResourceReference("Slot/" + slot.Id)],
        };
        // The appointment lands, but its answer never comes back (a timeout, a reset connection).
        var changes = new FhirChangeSet(new LostAnswerStore(Store, "Appointment"), Options.Create(new FhirOptions { UseTransactions = false }),
            Options.Create(new ChangeSafetyOptions()), TimeProvider.System, NullLogger<FhirChangeSet>.Instance);
        var started = DateTimeOffset.UtcNow.AddSeconds(-5);

        await Assert.ThrowsAsync<FhirUnavailableException>(() => changes.ApplyAsync([FhirWrite.Update(slot, take), FhirWrite.Create(appointment)], None));

        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(slot.Id!, None))!.Status);
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Appointment").WhereToken("identifier", "urn:test", marker), None));
        Assert.DoesNotContain(await Store.SearchAllAsync<Basic>(ChangeIntentSearches.All(), None), i => ChangeIntent.StartedAt(i) >= started);
    }

    /// <summary>Creates of one type land, then fail as if their answer was lost.</summary>
    private sealed class LostAnswerStore(IFhirStore inner, string lostType) : DelegatingFhirStore(inner)
    {
        public override async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
        {
            var created = await Inner.CreateAsync(resource, cancellationToken);
            return created.TypeName == lostType ? throw new FhirUnavailableException("The answer was lost.") : created;
        }
    }

    private FhirChangeSet ChangeSet(bool useTransactions) =>
        new(Store, Options.Create(new FhirOptions { UseTransactions = useTransactions }), Options.Create(new ChangeSafetyOptions()), TimeProvider.System, NullLogger<FhirChangeSet>.Instance);

    protected async Task<Schedule> NewScheduleAsync() =>
        await Store.CreateAsync(new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/contract")] }, None);

    protected static Slot NewSlot(Schedule schedule, DateTimeOffset start, Slot.SlotStatus status = Slot.SlotStatus.Free) => new()
    {
        Schedule = new ResourceReference("Schedule/" + schedule.Id),
        Status = status,
        Start = start,
        End = start.AddMinutes(30),
    };
}

public sealed class InMemoryFhirStoreContractTests : FhirStoreContractTests
{
    protected override IFhirStore Store { get; } = new InMemoryFhirStore();
}

[Collection(MedplumCollection.Name)]
public sealed class MedplumFhirStoreContractTests(MedplumFixture medplum) : FhirStoreContractTests, IDisposable
{
    // A small page size makes SearchAll cross pages (Medplum's bare router links none: the offset fallback runs).
    private readonly ServiceProvider _services = FhirStores.Rest(medplum.Server.FhirBaseUrl, pageSize: 10);

    protected override IFhirStore Store => _services.GetRequiredService<IFhirStore>();

    public void Dispose() => _services.Dispose();
}
