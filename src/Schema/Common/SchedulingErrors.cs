namespace Scheduling.Schema.Common;

/// <summary>A domain error a mutation reports in its payload's <c>errors</c>; <see cref="Code"/> is stable.</summary>
public abstract record SchedulingError(string Message)
{
    public abstract string Code { get; }
}

/// <summary>A slot is taken, blocked, held or gone: another client got there first.</summary>
public sealed record SlotUnavailableError(string Message, IReadOnlyList<string> SlotIds) : SchedulingError(Message)
{
    public override string Code => "SLOT_UNAVAILABLE";
}

public sealed record NotFoundError(string Message, string ResourceType, string Id) : SchedulingError(Message)
{
    public override string Code => "NOT_FOUND";
}

/// <summary>Bad input, or a booking rule refused (<see cref="Rule"/> names it).</summary>
public sealed record ValidationError(string Message, string? Field = null, string? Rule = null) : SchedulingError(Message)
{
    public override string Code => "VALIDATION_FAILED";
}

/// <summary>The appointment's status does not allow this change (FHIR's appointment state machine).</summary>
public sealed record InvalidTransitionError(string Message, string From, string To) : SchedulingError(Message)
{
    public override string Code => "INVALID_TRANSITION";
}

/// <summary>Something changed between reading and writing, or the change clashes with existing data.</summary>
public sealed record ConflictError(string Message) : SchedulingError(Message)
{
    public override string Code => "CONFLICT";
}

/// <summary>Carries a <see cref="SchedulingError"/> out of a domain operation into its mutation payload.</summary>
public sealed class SchedulingException : Exception
{
    public SchedulingException(SchedulingError error)
        : base(error?.Message) => Error = error ?? throw new ArgumentNullException(nameof(error));

    public SchedulingException()
        : this(new ConflictError("The change could not be made."))
    {
    }

    public SchedulingException(string message)
        : this(new ConflictError(message))
    {
    }

    public SchedulingException(string message, Exception innerException)
        : base(message, innerException) => Error = new ConflictError(message);

    public SchedulingError Error { get; }
}
