using GraphQL.Types;

namespace Scheduling.Schema.Common;

public sealed class ErrorInterfaceType : InterfaceGraphType<SchedulingError>
{
    public ErrorInterfaceType()
    {
        Name = "Error";
        Description = "What went wrong, for people (message) and for code (code).";
        Field<NonNullGraphType<StringGraphType>>("message").Description("What went wrong, for people.");
        Field<NonNullGraphType<StringGraphType>>("code").Description("A stable code for what went wrong, for programs.");
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
        Field<NonNullGraphType<StringGraphType>>("code").Description("A stable code for what went wrong, for programs.").Resolve(c => c.Source.Code);
    }
}

public sealed class SlotUnavailableErrorType : ErrorGraphType<SlotUnavailableError>
{
    public SlotUnavailableErrorType()
        : base("SlotUnavailableError", "A slot is no longer free: another booking, hold or block got there first.") =>
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds").Description("The slots that are no longer free.").Resolve(c => c.Source.SlotIds);
}

public sealed class NotFoundErrorType : ErrorGraphType<NotFoundError>
{
    public NotFoundErrorType()
        : base("NotFoundError", "Something the input names does not exist.")
    {
        Field<NonNullGraphType<StringGraphType>>("resourceType").Description("The FHIR resource type asked for, e.g. Appointment.").Resolve(c => c.Source.ResourceType);
        Field<NonNullGraphType<IdGraphType>>("id").Description("The id that was not found.").Resolve(c => c.Source.Id);
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
        Field<NonNullGraphType<StringGraphType>>("from").Description("The appointment's status now (FHIR code).").Resolve(c => c.Source.From);
        Field<NonNullGraphType<StringGraphType>>("to").Description("The status asked for (FHIR code).").Resolve(c => c.Source.To);
    }
}

public sealed class ConflictErrorType : ErrorGraphType<ConflictError>
{
    public ConflictErrorType()
        : base("ConflictError", "Something changed meanwhile, or the change clashes with existing data: read again and retry.")
    {
    }
}

public sealed class SchedulingErrorType : UnionGraphType
{
    public SchedulingErrorType()
    {
        Name = "SchedulingError";
        Description = "Any of the errors a mutation reports in its payload; each implements Error.";
        Type<SlotUnavailableErrorType>();
        Type<NotFoundErrorType>();
        Type<ValidationErrorType>();
        Type<InvalidTransitionErrorType>();
        Type<ConflictErrorType>();
    }
}
