namespace Scheduling.Schema.Common;

/// <summary>What went wrong, for programs: one value per error type a mutation reports in its payload.</summary>
public enum SchedulingErrorCode
{
    /// <summary><see cref="SlotUnavailableError"/>.</summary>
    SlotUnavailable,

    /// <summary><see cref="NotFoundError"/>.</summary>
    NotFound,

    /// <summary><see cref="ValidationError"/>.</summary>
    ValidationFailed,

    /// <summary><see cref="InvalidTransitionError"/>.</summary>
    InvalidTransition,

    /// <summary><see cref="ConflictError"/>.</summary>
    Conflict,

    /// <summary><see cref="AccessDeniedError"/>.</summary>
    Forbidden,

    /// <summary><see cref="ServiceUnavailableError"/>.</summary>
    ServiceUnavailable,

    /// <summary><see cref="BookingRuleError"/>.</summary>
    BookingRule,
}

/// <summary>A domain error a mutation reports in its payload's <c>errors</c>; <see cref="Code"/> is stable.</summary>
public abstract record SchedulingError(string Message)
{
    public abstract SchedulingErrorCode Code { get; }
}

/// <summary>A slot is taken, blocked, held or gone: another client got there first.</summary>
public sealed record SlotUnavailableError(string Message, IReadOnlyList<string> SlotIds) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.SlotUnavailable;
}

public sealed record NotFoundError(string Message, string ResourceType, string Id) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.NotFound;
}

/// <summary>Bad input, or a booking rule refused (<see cref="Rule"/> names it).</summary>
public sealed record ValidationError(string Message, string? Field = null, string? Rule = null) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.ValidationFailed;
}

/// <summary>
/// A booking rule refused the change (<see cref="Booking.IBookingRule"/>: lead time, days ahead, open bookings, the
/// cutoffs and caps, a deployment's own rules): <see cref="Rule"/> names it, <see cref="Limit"/> is the limit broken
/// when the rule has a number (minutes of notice, bookings per day...).
/// </summary>
public sealed record BookingRuleError(string Message, string Rule, int? Limit = null) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.BookingRule;
}

/// <summary>The appointment's status does not allow this change (FHIR's appointment state machine); statuses as FHIR codes.</summary>
public sealed record InvalidTransitionError(string Message, string From, string To) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.InvalidTransition;
}

/// <summary>Something changed between reading and writing, or the change clashes with existing data.</summary>
public sealed record ConflictError(string Message) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.Conflict;
}

/// <summary>
/// The caller may not make this change (GraphQL type <c>ForbiddenError</c>). Made at the GraphQL edge from the
/// access checks' denial; the message names only what the caller sent.
/// </summary>
public sealed record AccessDeniedError(string Message) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.Forbidden;
}

/// <summary>The FHIR server could not be reached or answered 5xx: nothing was decided, the same request may succeed later.</summary>
public sealed record ServiceUnavailableError(string Message) : SchedulingError(Message)
{
    public override SchedulingErrorCode Code => SchedulingErrorCode.ServiceUnavailable;
}

/// <summary>Carries a <see cref="SchedulingError"/> out of a domain operation into its mutation payload.</summary>
public sealed class SchedulingException : Exception
{
    public SchedulingException(SchedulingError error)
        : base(error?.Message)
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
        Errors = [error];
    }

    /// <summary>Every reason a change was refused (each failing rule, a taken slot...): the payload lists them all; <see cref="Error"/> is the first.</summary>
    public SchedulingException(IReadOnlyList<SchedulingError> errors)
        : base(errors is { Count: > 0 } ? string.Join(" ", errors.Select(e => e.Message)) : throw new ArgumentException("At least one error.", nameof(errors)))
    {
        Error = errors[0];
        Errors = errors;
    }

    public SchedulingException()
        : this(new ConflictError("The change could not be made."))
    {
    }

    public SchedulingException(string message)
        : this(new ConflictError(message))
    {
    }

    public SchedulingException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new ConflictError(message);
        Errors = [Error];
    }

    public SchedulingError Error { get; }

    /// <summary>Every reason, <see cref="Error"/> first.</summary>
    public IReadOnlyList<SchedulingError> Errors { get; }
}
