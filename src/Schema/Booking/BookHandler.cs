using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Booking;

/// <summary>bookAppointment: the appointment BOOKED, participants accepted, its slots BUSY, in one change.</summary>
public sealed class BookHandler(TimeTaking taking)
{
    public Task<Appointment> BookAsync(BookAppointmentInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return taking.TakeAsync(
            new TakeRequest(BookingTime.Of(input.SlotIds, input.Time), input.PatientId, input.PractitionerId, input.ServiceType, input.Reason, input.Comment, null, input.ClientMutationId),
            cancellationToken);
    }
}

/// <summary>holdSlots: the appointment PENDING with an expiry, its slots BUSY_TENTATIVE, until confirmed, cancelled or expired.</summary>
public sealed class HoldHandler(TimeTaking taking, IOptions<BookingOptions> options)
{
    public Task<Appointment> HoldAsync(HoldSlotsInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var minutes = input.HoldMinutes ?? options.Value.DefaultHoldMinutes;
        if (minutes < 1 || minutes > options.Value.MaxHoldMinutes)
        {
            throw AppointmentChanges.Fail(new ValidationError($"'holdMinutes' must be between 1 and {options.Value.MaxHoldMinutes}.", "holdMinutes"));
        }

        return taking.TakeAsync(
            new TakeRequest(BookingTime.Of(input.SlotIds, input.Time), input.PatientId, input.PractitionerId, null, null, null, TimeSpan.FromMinutes(minutes), input.ClientMutationId),
            cancellationToken);
    }
}
