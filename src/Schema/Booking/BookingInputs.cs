using Hl7.Fhir.Model;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

public sealed record BookAppointmentInput
{
    /// <summary>The time: slot ids or an availability option (exactly one).</summary>
    public BookingTime? Time { get; init; }

    /// <summary>Deprecated: the slot ids beside <see cref="Time"/>; give one of the two.</summary>
    public IEnumerable<string>? SlotIds { get; init; }

    public string PatientId { get; init; } = string.Empty;

    public string? PractitionerId { get; init; }

    public string? ServiceType { get; init; }

    public string? Reason { get; init; }

    public string? Comment { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record HoldSlotsInput
{
    /// <summary>The time: slot ids or an availability option (exactly one).</summary>
    public BookingTime? Time { get; init; }

    /// <summary>Deprecated: the slot ids beside <see cref="Time"/>; give one of the two.</summary>
    public IEnumerable<string>? SlotIds { get; init; }

    public string PatientId { get; init; } = string.Empty;

    public string? PractitionerId { get; init; }

    public int? HoldMinutes { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record AppointmentIdInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public string? ClientMutationId { get; init; }
}

public sealed record CancelAppointmentInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public string Reason { get; init; } = string.Empty;

    public string? ClientMutationId { get; init; }
}

public sealed record RescheduleAppointmentInput
{
    public string AppointmentId { get; init; } = string.Empty;

    /// <summary>The new time: slot ids or an availability option (exactly one).</summary>
    public BookingTime? Time { get; init; }

    /// <summary>Deprecated: the slot ids beside <see cref="Time"/>; give one of the two.</summary>
    public IEnumerable<string>? SlotIds { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record ChangeAppointmentStatusInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public AppointmentStatus Status { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record RespondToAppointmentInput
{
    public string AppointmentId { get; init; } = string.Empty;

    /// <summary>The responding participant, as a reference: Practitioner/1, Patient/2.</summary>
    public string ActorId { get; init; } = string.Empty;

    public ParticipationStatus ParticipantStatus { get; init; }

    public string? Comment { get; init; }

    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }

    public string? ClientMutationId { get; init; }
}
