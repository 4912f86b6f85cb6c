using System.Runtime.CompilerServices;
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
    public async ValueTask<object?> ResolveAsync(IResolveFieldContext context, FieldMiddlewareDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var result = await next(context);
        if (!CanHoldResources(context))
        {
            return result;
        }

        return result is IDataLoaderResult pending
            ? new CheckedResult(pending, value => System.Threading.Tasks.Task.FromResult(Check(context, value)))
            : Check(context, result);
    }

    private static object? Check(IResolveFieldContext context, object? value)
    {
        var broken = new Dictionary<Resource, IReadOnlyList<string>>(ReferenceEqualityComparer.Instance);
        foreach (var resource in ResourceValues.Collect(value))
        {
            if (!broken.ContainsKey(resource) && MissingIn(resource) is { Count: > 0 } missing)
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

    /// <summary>
    /// What a resource lacks, walked once per instance and version: the same loaded Slot or Schedule is handed out by
    /// many fields of one response (and by later responses, from the cache), and the walk covers its whole tree.
    /// </summary>
    private static IReadOnlyList<string> MissingIn(Resource resource)
    {
        var version = resource.Meta?.VersionId;
        if (Checked.TryGetValue(resource, out var known) && known.VersionId == version)
        {
            return known.Missing;
        }

        var missing = FhirCardinality.Missing(resource);
        Checked.AddOrUpdate(resource, new CheckedResource(version, missing));
        return missing;
    }

    private static readonly ConditionalWeakTable<Resource, CheckedResource> Checked = new();

    private sealed record CheckedResource(string? VersionId, IReadOnlyList<string> Missing);

    private static Resource? Report(IResolveFieldContext context, ExecutionError error, Resource? instead)
    {
        context.Errors.Add(error);
        return instead;
    }

    /// <summary>Fields of an object, interface or union type of this API (not scalars, enums or introspection).</summary>
    private static bool CanHoldResources(IResolveFieldContext context) =>
        !context.ParentType.Name.StartsWith("__", StringComparison.Ordinal) &&
        context.FieldDefinition.ResolvedType?.GetNamedType() is IComplexGraphType or UnionGraphType &&
        !context.FieldDefinition.ResolvedType.GetNamedType().Name.StartsWith("__", StringComparison.Ordinal);

    private static bool IsNodes(IResolveFieldContext context) =>
        context.ParentType == context.Schema.Query && context.FieldDefinition.Name == "nodes";
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
