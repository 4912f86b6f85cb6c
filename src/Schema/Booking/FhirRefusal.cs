using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// What a FHIR server's refusal of a change means to the caller, in one place for every path (the mutation edge maps
/// every exception of the FHIR client through it): a version that moved on, a request refused (a 4xx) or a resource
/// gone meanwhile is a <see cref="ConflictError"/>, since a change is whole or absent (<see cref="FhirChangeSet"/>
/// undid or never applied it); an unreachable server is a retryable <see cref="ServiceUnavailableError"/>.
/// Anything else is no refusal (null): a fault of the gateway.
/// </summary>
public static class FhirRefusal
{
    public static SchedulingError? Of(Exception exception) => exception switch
    {
        FhirVersionConflictException => new ConflictError("It changed while this request ran; read it again and retry."),
        FhirRequestRejectedException or FhirResourceNotFoundException => new ConflictError("The FHIR server refused the change; nothing of it was kept. Read it again and retry."),
        FhirUnavailableException e => new ServiceUnavailableError(e.Message),
        _ => null,
    };
}
