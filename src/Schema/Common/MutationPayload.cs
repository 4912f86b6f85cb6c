using GraphQL;
using GraphQL.Resolvers;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Common;

/// <summary>A mutation's answer: its result, or the typed errors that stopped it.</summary>
public sealed record MutationPayload<T>(T? Result, string? ClientMutationId, IReadOnlyList<SchedulingError> Errors);

/// <summary>A mutation's payload type, which declares the errors its mutation can return.</summary>
public interface IMutationPayloadType
{
    /// <summary>The mutation's name, e.g. <c>cancelAppointment</c>.</summary>
    string MutationName { get; }

    /// <summary>Every error the mutation can return: its payload's error union has exactly these members.</summary>
    IReadOnlySet<SchedulingErrorCode> Errors { get; }
}

/// <summary>
/// <c>clientMutationId</c> and <c>errors</c>, which every payload has; subclasses add the result fields. The payload
/// of mutation <c>fooBar</c> is <c>FooBarPayload</c>, its errors <c>[FooBarError!]!</c>, a union of the errors the
/// subclass declares plus those every mutation can return (<see cref="MutationErrors.EveryMutation"/>).
/// </summary>
public abstract class PayloadBaseGraphType<T> : ObjectGraphType<MutationPayload<T>>, IMutationPayloadType
{
    protected PayloadBaseGraphType(string name, params SchedulingErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        var typeName = name[..^"Payload".Length];
        MutationName = char.ToLowerInvariant(typeName[0]) + typeName[1..];
        Errors = MutationErrors.Declared(errors);
        Description = $"What {MutationName} answers: its result, or the errors that stopped it.";
        Field<StringGraphType>("clientMutationId").Description("The input's clientMutationId, as given.").Resolve(c => c.Source.ClientMutationId);
        var union = new MutationErrorUnionType(typeName + "Error", MutationName, Errors);
        AddField(new FieldType
        {
            Name = "errors",
            Description = $"Empty when {MutationName} succeeded; else what stopped it, one of {union.Name}'s members.",
            ResolvedType = new NonNullGraphType(new ListGraphType(new NonNullGraphType(union))),
            Resolver = new FuncFieldResolver<MutationPayload<T>, IReadOnlyList<SchedulingError>>(c => c.Source.Errors),
        });
    }

    public string MutationName { get; }

    public IReadOnlySet<SchedulingErrorCode> Errors { get; }
}

/// <summary><c>{ &lt;result&gt;, clientMutationId, errors }</c> for one mutation.</summary>
public abstract class PayloadGraphType<TResultType, T> : PayloadBaseGraphType<T>
    where TResultType : IGraphType
{
    protected PayloadGraphType(string name, string resultField, params SchedulingErrorCode[] errors)
        : base(name, errors) => Field<TResultType>(resultField).Description("The result; null when errors stopped the mutation.").Resolve(c => c.Source.Result);
}

/// <summary>The errors one mutation can return (<c>CancelAppointmentError</c>), each implementing <c>Error</c>.</summary>
[GraphQL.DoNotRegister]
public sealed class MutationErrorUnionType : UnionGraphType
{
    public MutationErrorUnionType(string name, string mutationName, IEnumerable<SchedulingErrorCode> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        Name = name;
        Description = $"The errors {mutationName} can return; each implements Error.";
        foreach (var code in errors.Order())
        {
            Type(MutationErrors.GraphTypeOf(code));
        }
    }
}

/// <summary>
/// The mutation conventions, in one place: which errors every mutation can return, the GraphQL type of each error,
/// how an exception of the booking core, the access checks or the FHIR client becomes a payload error, and the
/// refusal of an error the mutation did not declare.
/// </summary>
public static class MutationErrors
{
    /// <summary>What any mutation can meet at the edge: a denial, a change that lost a race or was refused upstream, an unreachable upstream.</summary>
    public static readonly IReadOnlySet<SchedulingErrorCode> EveryMutation = new HashSet<SchedulingErrorCode>
    {
        SchedulingErrorCode.Forbidden,
        SchedulingErrorCode.Conflict,
        SchedulingErrorCode.ServiceUnavailable,
    };

    /// <summary>A mutation's own errors plus those of every mutation.</summary>
    public static IReadOnlySet<SchedulingErrorCode> Declared(IEnumerable<SchedulingErrorCode> own) => new SortedSet<SchedulingErrorCode>([.. EveryMutation, .. own]);

    public static Type GraphTypeOf(SchedulingErrorCode code) => code switch
    {
        SchedulingErrorCode.SlotUnavailable => typeof(SlotUnavailableErrorType),
        SchedulingErrorCode.NotFound => typeof(NotFoundErrorType),
        SchedulingErrorCode.ValidationFailed => typeof(ValidationErrorType),
        SchedulingErrorCode.InvalidTransition => typeof(InvalidTransitionErrorType),
        SchedulingErrorCode.Conflict => typeof(ConflictErrorType),
        SchedulingErrorCode.Forbidden => typeof(ForbiddenErrorType),
        SchedulingErrorCode.ServiceUnavailable => typeof(ServiceUnavailableErrorType),
        SchedulingErrorCode.BookingRule => typeof(BookingRuleErrorType),
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "No GraphQL type for this error code."),
    };

    /// <summary>The payload error an exception stands for, or null when it is a fault (it stays a top-level error).</summary>
    public static SchedulingError? Of(Exception exception) => exception switch
    {
        SchedulingException e => e.Error,
        Authorization.ForbiddenError e => new AccessDeniedError(e.Message),
        // A refusal of the FHIR server is the mutation's answer, typed like any other, as the booking core decides.
        _ => Booking.FhirRefusal.Of(exception),
    };

    /// <summary>The error, if the mutation declared it; an undeclared one is a bug of the gateway, refused loudly.</summary>
    public static SchedulingError Admit(IMutationPayloadType payload, SchedulingError error)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(error);
        return payload.Errors.Contains(error.Code) ? error : throw new UndeclaredMutationErrorException(payload.MutationName, error);
    }
}

/// <summary>A mutation met an error its payload does not declare: its error union would not let a client read it.</summary>
public sealed class UndeclaredMutationErrorException : InvalidOperationException
{
    public UndeclaredMutationErrorException(string mutation, SchedulingError error)
        : base($"{mutation} does not declare {error?.Code} errors, yet met one: {error?.Message}") => Error = error;

    public UndeclaredMutationErrorException()
    {
    }

    public UndeclaredMutationErrorException(string message)
        : base(message)
    {
    }

    public UndeclaredMutationErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SchedulingError? Error { get; }
}

public static class Mutations
{
    /// <summary>
    /// Runs a domain operation: its result, or the error it met, becomes the payload (errors the mutation did not
    /// declare are refused). What it wrote replaces this request's cached reads, so the payload's fields (resolved
    /// through the same DataLoaders) show it.
    /// </summary>
    public static async Task<MutationPayload<T>> RunAsync<T>(IResolveFieldContext context, string? clientMutationId, Func<Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(operation);
        var payload = PayloadOf(context.FieldDefinition);
        try
        {
            var result = await operation();
            return new MutationPayload<T>(result, clientMutationId, []);
        }
        catch (SchedulingException e)
        {
            // Every reason the booking core found (each failing rule, a taken slot), not only the first.
            return new MutationPayload<T>(default, clientMutationId, [.. e.Errors.Select(error => MutationErrors.Admit(payload, error))]);
        }
        catch (Exception e) when (MutationErrors.Of(e) is { } error)
        {
            return new MutationPayload<T>(default, clientMutationId, [MutationErrors.Admit(payload, error)]);
        }
        finally
        {
            // Whatever happened, reads cached before the write may be stale now.
            context.ForgetReads();
        }
    }

    /// <summary>The payload type of a mutation field, which declares its errors.</summary>
    public static IMutationPayloadType PayloadOf(FieldType field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var type = field.ResolvedType;
        while (type is IProvideResolvedType wrapper)
        {
            type = wrapper.ResolvedType;
        }

        return type as IMutationPayloadType ?? throw new InvalidOperationException($"{field.Name} does not answer with a mutation payload.");
    }

    /// <summary>A required FHIR id from the input, or a ValidationError naming the field.</summary>
    public static string RequireId(string? id, string field) =>
        FhirReference.IsValidId(id) ? id : throw new SchedulingException(new ValidationError($"'{field}' is not a valid id.", field));

    public static async Task<T> ReadRequiredAsync<T>(this IFhirStore store, string id, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.ReadAsync<T>(id, cancellationToken) ??
            throw new SchedulingException(new NotFoundError($"{typeof(T).Name}/{id} does not exist.", typeof(T).Name, id));
    }
}

/// <summary>What every mutation input shares.</summary>
public static class MutationInputs
{
    public const string InputDescription = "What to do; one input object per mutation (Relay's convention), with an optional clientMutationId.";

    /// <summary>The <c>clientMutationId</c> input field, echoed in the payload.</summary>
    public static void ClientMutationId(IInputObjectGraphType input, string? meaning = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.AddField(new FieldType
        {
            Name = "clientMutationId",
            Type = typeof(StringGraphType),
            Description = "Any string of the client's, echoed in the payload." + (meaning is null ? string.Empty : " " + meaning),
        });
    }
}
