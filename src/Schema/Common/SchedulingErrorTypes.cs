using GraphQL.Types;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Appointments;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Common;

public sealed class SchedulingErrorCodeType : EnumerationGraphType<SchedulingErrorCode>
{
    public SchedulingErrorCodeType()
    {
        Name = "SchedulingErrorCode";
        Description = "What went wrong, for programs: one value per error type, stable across releases.";
        this.DescribeValues(
            ("SLOT_UNAVAILABLE", "SlotUnavailableError: a slot is no longer free."),
            ("NOT_FOUND", "NotFoundError: something the input names does not exist."),
            ("VALIDATION_FAILED", "ValidationError: the input is not valid, or a booking rule refused it."),
            ("INVALID_TRANSITION", "InvalidTransitionError: the appointment's status does not allow this change."),
            ("CONFLICT", "ConflictError: something changed meanwhile; read again and retry."),
            ("FORBIDDEN", "ForbiddenError: the caller may not make this change."),
            ("SERVICE_UNAVAILABLE", "ServiceUnavailableError: the FHIR server could not be reached; retry later."),
            ("BOOKING_RULE", "BookingRuleError: a booking rule (a cutoff, a cap, lead time...) refused the change."));
    }
}

public sealed class ErrorInterfaceType : InterfaceGraphType<SchedulingError>
{
    public ErrorInterfaceType()
    {
        Name = "Error";
        Description = "What went wrong, for people (message) and for code (code). Every member of a mutation's error union implements it.";
        Field<NonNullGraphType<StringGraphType>>("message").Description("What went wrong, for people.");
        Field<NonNullGraphType<SchedulingErrorCodeType>>("code").Description("What went wrong, for programs.");
    }
}

/// <summary>The fields every error type has, and the interface.</summary>
public abstract class ErrorGraphType<T> : ObjectGraphType<T>
    where T : SchedulingError
{
    protected ErrorGraphType(string name, string description)
    {
        Name = name;
        Description = description;
        Interface<ErrorInterfaceType>();
        Field<NonNullGraphType<StringGraphType>>("message").Description("What went wrong, for people.").Resolve(c => c.Source.Message);
        Field<NonNullGraphType<SchedulingErrorCodeType>>("code").Description("What went wrong, for programs.").Resolve(c => c.Source.Code);
    }
}

public sealed class SlotUnavailableErrorType : ErrorGraphType<SlotUnavailableError>
{
    public SlotUnavailableErrorType()
        : base("SlotUnavailableError", "A slot is no longer free: another booking, hold or block got there first.") =>
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds").Description("The slots that are no longer free (global ids).").Resolve(c => c.Source.SlotIds.Select(GlobalId.EncodeSlot));
}

public sealed class NotFoundErrorType : ErrorGraphType<NotFoundError>
{
    public NotFoundErrorType()
        : base("NotFoundError", "Something the input names does not exist.")
    {
        Field<NonNullGraphType<StringGraphType>>("resourceType").Description("The FHIR resource type asked for, e.g. Appointment.").Resolve(c => c.Source.ResourceType);
        // Not named `id`: a normalized cache (Relay's) would take it for the missing entity's own record.
        Field<NonNullGraphType<IdGraphType>>("resourceId")
            .Description("The global id that was not found (the field is not named id, so normalized caches never take this error for the entity).")
            .Resolve(c => GlobalId.EntityTypes.Contains(c.Source.ResourceType) ? GlobalId.Encode(c.Source.ResourceType, c.Source.Id) : c.Source.Id);
    }
}

public sealed class ValidationErrorType : ErrorGraphType<ValidationError>
{
    public ValidationErrorType()
        : base("ValidationError", "The input is not valid, or a booking rule refused it.")
    {
        Field<StringGraphType>("field").Description("The input field at fault, if one is.").Resolve(c => c.Source.Field);
        Field<StringGraphType>("rule").Description("The booking rule that refused, if one did.").Resolve(c => c.Source.Rule);
    }
}

public sealed class InvalidTransitionErrorType : ErrorGraphType<InvalidTransitionError>
{
    public InvalidTransitionErrorType()
        : base("InvalidTransitionError", "The appointment's status does not allow this change.")
    {
        Field<AppointmentStatusType>("from").Description("The appointment's status now; null when it has none.").Resolve(c => Status(c.Source.From));
        Field<NonNullGraphType<AppointmentStatusType>>("to").Description("The status the change would have led to.").Resolve(c => Status(c.Source.To));
    }

    /// <summary>The booking core speaks FHIR codes (<c>booked</c>); the schema its AppointmentStatus enum (<c>BOOKED</c>).</summary>
    public static AppointmentStatus? Status(string fhirCode) => EnumUtility.ParseLiteral<AppointmentStatus>(fhirCode);
}

public sealed class ConflictErrorType : ErrorGraphType<ConflictError>
{
    public ConflictErrorType()
        : base("ConflictError", "Something changed meanwhile, or the change clashes with existing data: read again and retry.")
    {
    }
}

public sealed class ForbiddenErrorType : ErrorGraphType<AccessDeniedError>
{
    public ForbiddenErrorType()
        : base("ForbiddenError", "The caller may not make this change; a missing resource the caller could not see anyway gets the same answer.")
    {
    }
}

public sealed class ServiceUnavailableErrorType : ErrorGraphType<ServiceUnavailableError>
{
    public ServiceUnavailableErrorType()
        : base("ServiceUnavailableError", "The FHIR server could not be reached or failed, so the change was not decided. Retry later (with the same clientMutationId, a booking is not made twice).") =>
        Field<NonNullGraphType<BooleanGraphType>>("retryable").Description("Always true: the same request may succeed when sent again later.").Resolve(_ => true);
}

public sealed class BookingRuleErrorType : ErrorGraphType<BookingRuleError>
{
    public BookingRuleErrorType()
        : base("BookingRuleError", "A booking rule refused the change: a cutoff (notice to cancel or reschedule), a cap (bookings per practitioner per day or week, per patient per period), lead time, days ahead, open bookings, or a deployment's own rule. A change refused by several rules lists one per rule.")
    {
        // Nullable in the schema though always set: a selection may then ask `rule` of ValidationError and BookingRuleError side by side (same response shape).
        Field<StringGraphType>("rule").Description("The rule's name, e.g. practitioner-day-cap, minimum-cancel-notice; always set.").Resolve(c => c.Source.Rule);
        Field<IntGraphType>("limit").Description("The limit broken, where the rule has one (minutes of notice, bookings per day...).").Resolve(c => c.Source.Limit);
    }
}
