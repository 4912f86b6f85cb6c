using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>Moves a stored appointment and its slots in time, straight in FHIR: statuses follow the clock, tests need "its day has come".</summary>
public static class AppointmentTime
{
    public static async Task MoveAppointmentAsync(this IFhirStore store, string id, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(store);
        var none = CancellationToken.None;
        var appointment = (await store.ReadAsync<Appointment>(id, none))!;
        var shift = start - appointment.Start!.Value;
        foreach (var reference in appointment.Slot)
        {
            var slot = (await store.ReadAsync<Slot>(reference.Reference!["Slot/".Length..], none))!;
            (slot.Start, slot.End) = (slot.Start + shift, slot.End + shift);
            await store.UpdateAsync(slot, slot.Meta?.VersionId, none);
        }

        (appointment.Start, appointment.End) = (appointment.Start + shift, appointment.End + shift);
        await store.UpdateAsync(appointment, appointment.Meta?.VersionId, none);
    }
}
