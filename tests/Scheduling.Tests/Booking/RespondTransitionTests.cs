using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Tests.Booking;

/// <summary>The state machine of respondToAppointment (<see cref="RespondTransition"/>), pure: no peer.</summary>
public sealed class RespondTransitionTests
{
    private static readonly FhirReference Patient = new("Patient", "p1");
    private static readonly FhirReference Doctor = new("Practitioner", "d1");
    private static readonly FhirReference Room = new("Location", "l1");
    private static readonly DateTimeOffset Now = new(2030, 3, 4, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(AppointmentStatus.Proposed)]
    [InlineData(AppointmentStatus.Pending)]
    public void The_last_required_acceptance_books_and_takes_the_time(AppointmentStatus status)
    {
        var appointment = NewAppointment(status, ParticipationStatus.Accepted, ParticipationStatus.NeedsAction);

        var decision = RespondTransition.Decide(appointment, Answer(Doctor, ParticipationStatus.Accepted), Now);

        Assert.Equal((AppointmentStatus.Booked, TimeEffect.Take), (decision.Changed.Status, decision.Time));
        Assert.Equal(status, appointment.Status); // a copy is changed, not what was read
    }

    [Fact]
    public void An_acceptance_while_another_required_participant_has_not_answered_takes_nothing()
    {
        var decision = RespondTransition.Decide(NewAppointment(AppointmentStatus.Proposed, ParticipationStatus.NeedsAction, ParticipationStatus.NeedsAction),
            Answer(Doctor, ParticipationStatus.Accepted), Now);

        Assert.Equal((AppointmentStatus.Proposed, TimeEffect.None), (decision.Changed.Status, decision.Time));
    }

    [Fact]
    public void An_optional_participant_does_not_hold_up_the_booking()
    {
        var appointment = NewAppointment(AppointmentStatus.Pending, ParticipationStatus.NeedsAction, ParticipationStatus.NeedsAction);
        appointment.Participant[2].Required = Appointment.ParticipantRequired.Optional;
        var afterPatient = RespondTransition.Decide(appointment, Answer(Patient, ParticipationStatus.Accepted), Now).Changed;

        var decision = RespondTransition.Decide(afterPatient, Answer(Doctor, ParticipationStatus.Accepted), Now);

        Assert.Equal(TimeEffect.Take, decision.Time);
    }

    [Theory]
    [InlineData(AppointmentStatus.Proposed)]
    [InlineData(AppointmentStatus.Pending)]
    [InlineData(AppointmentStatus.Booked)]
    public void A_required_decline_cancels_and_frees(AppointmentStatus status)
    {
        var decision = RespondTransition.Decide(NewAppointment(status, ParticipationStatus.Accepted, ParticipationStatus.Accepted),
            Answer(Doctor, ParticipationStatus.Declined), Now);

        Assert.Equal((AppointmentStatus.Cancelled, TimeEffect.Free), (decision.Changed.Status, decision.Time));
        Assert.Contains("Practitioner/d1", decision.Changed.CancelationReason?.Text ?? string.Empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ParticipationStatus.Tentative, true)]
    [InlineData(ParticipationStatus.Tentative, false)]
    [InlineData(ParticipationStatus.NeedsAction, false)]
    public void On_a_booked_appointment_a_required_not_accepting_answer_makes_it_pending_and_its_time_tentative(ParticipationStatus status, bool counterProposal)
    {
        var decision = RespondTransition.Decide(NewAppointment(AppointmentStatus.Booked, ParticipationStatus.Accepted, ParticipationStatus.Accepted),
            new Answer(Doctor, status, counterProposal), Now);

        Assert.Equal((AppointmentStatus.Pending, TimeEffect.Tentative), (decision.Changed.Status, decision.Time));
        Assert.Equal(counterProposal, decision.Changed.Participant.All(p => p.Status == ParticipationStatus.NeedsAction));
    }

    [Fact]
    public void A_counter_proposal_on_a_pending_appointment_asks_everyone_again_and_keeps_its_time_as_it_is()
    {
        var decision = RespondTransition.Decide(NewAppointment(AppointmentStatus.Pending, ParticipationStatus.Accepted, ParticipationStatus.NeedsAction),
            new Answer(Doctor, ParticipationStatus.Tentative, CounterProposal: true), Now);

        Assert.Equal((AppointmentStatus.Pending, TimeEffect.None), (decision.Changed.Status, decision.Time));
        Assert.All(decision.Changed.Participant, p => Assert.Equal(ParticipationStatus.NeedsAction, p.Status));
    }

    [Theory]
    [InlineData(AppointmentStatus.Cancelled)]
    [InlineData(AppointmentStatus.Fulfilled)]
    [InlineData(AppointmentStatus.Noshow)]
    [InlineData(AppointmentStatus.Arrived)]
    public void An_appointment_past_answering_takes_no_answer(AppointmentStatus status)
    {
        var error = Assert.Throws<SchedulingException>(() =>
            RespondTransition.Decide(NewAppointment(status, ParticipationStatus.Accepted, ParticipationStatus.Accepted), Answer(Doctor, ParticipationStatus.Accepted), Now));

        Assert.IsType<InvalidTransitionError>(error.Error);
    }

    [Fact]
    public void An_expired_hold_takes_no_answer_and_a_stranger_none_either()
    {
        var hold = NewAppointment(AppointmentStatus.Pending, ParticipationStatus.Accepted, ParticipationStatus.NeedsAction);
        hold.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(Now.AddSeconds(-1))));

        Assert.IsType<InvalidTransitionError>(Assert.Throws<SchedulingException>(() => RespondTransition.Decide(hold, Answer(Doctor, ParticipationStatus.Accepted), Now)).Error);
        var stranger = Assert.Throws<SchedulingException>(() => RespondTransition.Decide(
            NewAppointment(AppointmentStatus.Pending, ParticipationStatus.Accepted, ParticipationStatus.NeedsAction), Answer(new("Practitioner", "other"), ParticipationStatus.Accepted), Now));
        Assert.Equal("actorId", Assert.IsType<ValidationError>(stranger.Error).Field);
    }

    [Theory]
    [InlineData("Practitioner/d1", null, null, true)]
    [InlineData("not a reference", null, null, false)]
    [InlineData("Practitioner/d1", "2030-03-05T10:00:00Z", null, false)]
    [InlineData("Practitioner/d1", "2030-03-05T10:00:00Z", "2030-03-05T09:00:00Z", false)]
    [InlineData("Practitioner/d1", "2030-03-05T10:00:00Z", "2030-03-05T10:30:00Z", true)]
    public void An_answer_is_read_with_its_shape_checked(string actor, string? start, string? end, bool valid)
    {
        var input = new RespondToAppointmentInput
        {
            ActorId = actor,
            ParticipantStatus = ParticipationStatus.Tentative,
            Start = start is null ? null : DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture),
            End = end is null ? null : DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture),
        };

        if (valid)
        {
            Assert.Equal(start is not null, RespondTransition.Read(input).CounterProposal);
        }
        else
        {
            Assert.IsType<ValidationError>(Assert.Throws<SchedulingException>(() => RespondTransition.Read(input)).Error);
        }
    }

    private static Answer Answer(FhirReference actor, ParticipationStatus status) => new(actor, status, CounterProposal: false);

    private static Appointment NewAppointment(AppointmentStatus status, ParticipationStatus patient, ParticipationStatus doctor) => new()
    {
        Id = "a1",
        Status = status,
        Start = Now.AddDays(1),
        End = Now.AddDays(1).AddMinutes(30),
        Slot = [new ResourceReference("Slot/s1")],
        Participant =
        [
            AppointmentChanges.Participant(Patient.ToString(), patient),
            AppointmentChanges.Participant(Doctor.ToString(), doctor),
            AppointmentChanges.Participant(Room.ToString(), ParticipationStatus.Accepted),
        ],
    };
}
