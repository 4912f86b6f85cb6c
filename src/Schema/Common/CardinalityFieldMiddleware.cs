using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Instrumentation;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Common;

/// <summary>
/// Where resources enter the schema: every field's value (root field, nested list, connection, mutation payload,
/// subscription event, <c>node</c>/<c>nodes</c>) is checked against FHIR R4's own cardinality (<see cref="FhirCardinality"/>),
/// so the fields that cardinality makes non-null never meet a null. A resource from upstream that lacks a required
/// element is left out of its list or connection with one <see cref="UpstreamResourceError"/> naming it; a single one
/// is null with that error, which then propagates to the nearest nullable field as GraphQL says. Runs outside
/// <see cref="Authorization.AccessFieldMiddleware"/>, so only resources the caller may see are ever named.
/// </summary>
public sealed class CardinalityFieldMiddleware : IFieldMiddleware
{
    public ValueTask<object?> ResolveAsync(IResolveFieldContext context, FieldMiddlewareDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!FieldFacts.CanHoldResources(context))
        {
            // A scalar or enum: its resolution as it is (no async frame, nothing allocated).
            return next(context);
        }

        var resolving = next(context);
        return resolving.IsCompletedSuccessfully
            ? ValueTask.FromResult(Judge(context, resolving.Result)) // without an async frame: most fields are plain reads
            : JudgeAsync(context, resolving);
    }

    private static async ValueTask<object?> JudgeAsync(IResolveFieldContext context, ValueTask<object?> resolving) =>
        Judge(context, await resolving);

    private static object? Judge(IResolveFieldContext context, object? result)
    {
        // Each resource instance is walked once per operation, whichever fields hand it out (an operation started
        // without its services judges each field on its own).
        var verdicts = OperationServices.Of(context)?.Verdicts ?? new ResourceVerdicts();
        return result is IDataLoaderResult pending ? Deferred(context, verdicts, pending) : Check(context, verdicts, result);
    }

    private static JudgedResult Deferred(IResolveFieldContext context, ResourceVerdicts verdicts, IDataLoaderResult pending) =>
        new(pending, context, verdicts);

    /// <summary>A deferred value, judged when it arrives (one object: no closure, no extra task for the judgement).</summary>
    private sealed class JudgedResult(IDataLoaderResult inner, IResolveFieldContext context, ResourceVerdicts verdicts) : IDataLoaderResult
    {
        public async Task<object?> GetResultAsync(CancellationToken cancellationToken = default) =>
            Check(context, verdicts, await inner.GetResultAsync(cancellationToken));
    }

    internal static object? Check(IResolveFieldContext context, ResourceVerdicts verdicts, object? value)
    {
        // The usual case, without allocating: nothing here is a resource, or all of it is whole.
        return ResourceValues.All(value, IsWhole, verdicts) ? value : WithoutBroken(context, verdicts, value);
    }

    // Its own method: its closures are allocated only when something is broken, not on entry to every check.
    private static object? WithoutBroken(IResolveFieldContext context, ResourceVerdicts verdicts, object? value)
    {
        var broken = new Dictionary<Resource, IReadOnlyList<string>>(ReferenceEqualityComparer.Instance);
        foreach (var resource in ResourceValues.Collect(value))
        {
            if (!broken.ContainsKey(resource) && verdicts.MissingIn(resource) is { Count: > 0 } missing)
            {
                broken[resource] = missing;
            }
        }

        if (broken.Count == 0)
        {
            return value;
        }

        if (value is Resource single)
        {
            throw new UpstreamResourceError(single, broken[single]);
        }

        if (value is IReadOnlyList<Resource?> positional && IsNodes(context))
        {
            // nodes(ids:) answers position by position: a broken one is null in its place.
            return positional.Select((r, i) => r is not null && broken.TryGetValue(r, out var missing)
                ? Report(context, new UpstreamResourceError(r, missing) { Path = context.ResponsePath.Append(i) }, null)
                : r).ToList();
        }

        foreach (var (resource, missing) in broken)
        {
            context.Errors.Add(new UpstreamResourceError(resource, missing) { Path = context.ResponsePath });
        }

        return ResourceValues.Without(value, new HashSet<Resource>(broken.Keys, ReferenceEqualityComparer.Instance), silently: false);
    }

    private static readonly Func<Resource, object, bool> IsWhole = static (resource, verdicts) => ((ResourceVerdicts)verdicts).MissingIn(resource).Count == 0;

    private static Resource? Report(IResolveFieldContext context, ExecutionError error, Resource? instead)
    {
        context.Errors.Add(error);
        return instead;
    }

    private static bool IsNodes(IResolveFieldContext context) =>
        context.ParentType == context.Schema.Query && context.FieldDefinition.Name == "nodes";
}

/// <summary>
/// What the resources one operation hands out lack (<see cref="FhirCardinality.Missing"/>), each instance walked once
/// per version whatever number of fields hand it out (the same loaded Slot or Schedule is handed out by many fields of
/// one response, and the walk covers its whole tree). Per operation and not process-wide: fields complete on several
/// threads, and a process-wide table keyed by instance took one lock for all of them (and a handle per resource); a
/// resource from the cache is a copy per operation anyway. Cleared with a subscription's reads before each event.
/// </summary>
internal sealed class ResourceVerdicts
{
    // Without a lock (InstanceMemo): a verdict is a pure function of the instance and its version, so two fields that
    // race to judge one resource both walk it and store the same verdict.
    private readonly InstanceMemo<Verdict> _known = new();
    private int _walks;

    /// <summary>How many walks were made (each a resource instance, or a new version of one).</summary>
    public int Walks => Volatile.Read(ref _walks);

    public IReadOnlyList<string> MissingIn(Resource resource)
    {
        var version = resource.Meta?.VersionId;
        if (_known.TryGet(resource, out var known) && known.VersionId == version)
        {
            return known.Missing;
        }

        var missing = FhirCardinality.Missing(resource);
        Interlocked.Increment(ref _walks);
        _known.Set(resource, new Verdict(version, missing));
        return missing;
    }

    /// <summary>Forgets every verdict: before a subscription's next event, whose resources are new instances.</summary>
    public void Clear() => _known.Clear();

    private sealed record Verdict(string? VersionId, IReadOnlyList<string> Missing);
}

/// <summary>A resource the FHIR server holds that breaks FHIR R4's own cardinality: the gateway does not serve it.</summary>
public sealed class UpstreamResourceError : ExecutionError
{
    public UpstreamResourceError(Resource resource, IReadOnlyList<string> missing)
        : base($"{resource.TypeName}/{resource.Id} from the FHIR server lacks {string.Join(", ", missing)}, which FHIR R4 requires; it is left out.")
    {
        ArgumentNullException.ThrowIfNull(resource);
        Code = "INVALID_UPSTREAM_RESOURCE";
        Reference = $"{resource.TypeName}/{resource.Id}";
        Missing = missing;
    }

    /// <summary>The resource, as a FHIR reference (<c>Slot/123</c>).</summary>
    public string Reference { get; }

    /// <summary>The required elements it lacks, as FHIR paths (<c>Slot.start</c>).</summary>
    public IReadOnlyList<string> Missing { get; }
}
