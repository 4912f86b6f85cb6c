using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Common;

/// <summary>A mutation's answer: its result, or the typed errors that stopped it.</summary>
public sealed record MutationPayload<T>(T? Result, string? ClientMutationId, IReadOnlyList<SchedulingError> Errors);

/// <summary><c>clientMutationId</c> and <c>errors</c>, which every payload has; subclasses add the result fields.</summary>
public abstract class PayloadBaseGraphType<T> : ObjectGraphType<MutationPayload<T>>
{
    protected PayloadBaseGraphType(string name)
    {
        Name = name;
        Description = $"What {char.ToLowerInvariant(name[0]) + name[1..^"Payload".Length]} answers: its result, or the errors that stopped it.";
        Field<StringGraphType>("clientMutationId").Description("The input's clientMutationId, as given.").Resolve(c => c.Source.ClientMutationId);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<SchedulingErrorType>>>>("errors")
            .Description("Empty when the mutation succeeded.")
            .Resolve(c => c.Source.Errors);
    }
}

/// <summary><c>{ &lt;result&gt;, clientMutationId, errors }</c> for one mutation.</summary>
public abstract class PayloadGraphType<TResultType, T> : PayloadBaseGraphType<T>
    where TResultType : IGraphType
{
    protected PayloadGraphType(string name, string resultField)
        : base(name) => Field<TResultType>(resultField).Description("The result; null when errors stopped the mutation.").Resolve(c => c.Source.Result);
}

public static class Mutations
{
    /// <summary>
    /// Runs a domain operation: its result, or its <see cref="SchedulingError"/>, becomes the payload. What it wrote
    /// replaces this request's cached reads, so the payload's fields (resolved through the same DataLoaders) show it.
    /// </summary>
    public static async Task<MutationPayload<T>> RunAsync<T>(IResolveFieldContext context, string? clientMutationId, Func<Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            var result = await operation();
            return new MutationPayload<T>(result, clientMutationId, []);
        }
        catch (SchedulingException e)
        {
            return new MutationPayload<T>(default, clientMutationId, [e.Error]);
        }
        catch (FhirVersionConflictException)
        {
            return new MutationPayload<T>(default, clientMutationId, [new ConflictError("It changed while this request ran; read it again and retry.")]);
        }
        catch (FhirException e) when (e is FhirRequestRejectedException or FhirResourceNotFoundException)
        {
            // A refusal of the FHIR server (a 4xx, a resource gone meanwhile) is the mutation's answer, typed like any
            // other; only an unreachable server stays a top-level error (a fault upstream, not an answer).
            return new MutationPayload<T>(default, clientMutationId, [new ConflictError("The FHIR server refused the change; read it again and retry.")]);
        }
        finally
        {
            // Whatever happened, reads cached before the write may be stale now.
            context.ForgetReads();
        }
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
