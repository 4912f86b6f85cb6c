using System.Collections;
using GraphQL.DataLoader;
using GraphQL.Types.Relay.DataObjects;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Common;

/// <summary>
/// The resources a field's value hands out, decided by the value's runtime type and not by the field's declared shape:
/// a single resource, a list (of any depth, of union members), a connection or its edges. The field middlewares that
/// judge what leaves the gateway (<see cref="Authorization.AccessFieldMiddleware"/>, <see cref="CardinalityFieldMiddleware"/>)
/// read and filter values through this one walk.
/// </summary>
internal static class ResourceValues
{
    /// <summary>The resources in a value, through lists, connections and edges.</summary>
    public static List<Resource> Collect(object? value)
    {
        var found = new List<Resource>();
        Collect(value, found);
        return found;
    }

    /// <summary>
    /// Whether every resource in the value passes <paramref name="test"/> (given <paramref name="state"/>), through the
    /// same lists, connections and edges as <see cref="Collect(object?)"/>, stopping at the first that does not. Allocates
    /// nothing over lists, arrays and connections, so a field's check costs nothing when all it hands out is known.
    /// </summary>
    public static bool All(object? value, Func<Resource, object, bool> test, object state)
    {
        switch (value)
        {
            case Resource resource:
                return test(resource, state);
            case null or string or Base:
                return true;
            case IList items:
                for (var i = 0; i < items.Count; i++)
                {
                    if (!All(items[i], test, state))
                    {
                        return false;
                    }
                }

                return true;
            case var _ when Wrapped.Of(value) is { } wrapped:
                return wrapped.All(value, test, state);
            case IEnumerable items:
                foreach (var item in items)
                {
                    if (!All(item, test, state))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    /// <summary>
    /// The value without the dropped resources: dropped from lists (of any depth), edges and connections. A single
    /// resource is returned as is. With <paramref name="silently"/> a connection's counts and cursors then describe
    /// the kept items only, so nothing tells that items were dropped (<see cref="Paging.Visible{T}"/>); otherwise
    /// they stay as the FHIR server gave them (<see cref="Paging.Without{T}"/>), for drops the caller is told of.
    /// </summary>
    public static object? Without(object? value, IReadOnlySet<Resource> dropped, bool silently) => value switch
    {
        null or string or Base => value,
        _ when Wrapped.Of(value) is { } wrapped => wrapped.Without(value, node => Keeps(node, dropped), silently),
        IEnumerable items => items.Cast<object?>().Where(item => Keeps(item, dropped)).Select(item => Without(item, dropped, silently)).ToList(),
        _ => value,
    };

    /// <summary>Whether the value is a connection or an edge (its node's context is not the value's own).</summary>
    public static bool IsWrapper(object value) => Wrapped.Of(value) is not null;

    private static void Collect(object? value, List<Resource> found)
    {
        switch (value)
        {
            case Resource resource:
                found.Add(resource);
                break;
            case null or string or Base:
                // A FHIR element other than a resource (a participant, a period) is not a list of what it holds.
                break;
            case var _ when Wrapped.Of(value) is { } wrapped:
                foreach (var node in wrapped.Nodes(value))
                {
                    Collect(node, found);
                }

                break;
            case IEnumerable items:
                foreach (var item in items)
                {
                    Collect(item, found);
                }

                break;
        }
    }

    /// <summary>Whether a list item stays: not a dropped resource, nor an edge to one.</summary>
    private static bool Keeps(object? value, IReadOnlySet<Resource> dropped) => value switch
    {
        Resource resource => !dropped.Contains(resource),
        null => true,
        _ when Wrapped.Of(value) is { } wrapped => wrapped.Shows(value, node => Keeps(node, dropped)),
        _ => true,
    };

    /// <summary>Relay's generic wrappers, <see cref="Connection{T}"/> and <see cref="Edge{T}"/>, whatever their node type.</summary>
    private abstract class Wrapped
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Wrapped?> Known = new();

        public abstract IEnumerable<object?> Nodes(object wrapper);

        public abstract object Without(object wrapper, Func<object?, bool> keep, bool silently);

        public abstract bool Shows(object wrapper, Func<object?, bool> keep);

        public abstract bool All(object wrapper, Func<Resource, object, bool> test, object state);

        public static Wrapped? Of(object value) => Known.GetOrAdd(value.GetType(), type =>
            !type.IsGenericType ? null
            : type.GetGenericTypeDefinition() == typeof(Connection<>) ? (Wrapped?)Activator.CreateInstance(typeof(ConnectionOf<>).MakeGenericType(type.GetGenericArguments()))
            : type.GetGenericTypeDefinition() == typeof(Edge<>) ? (Wrapped?)Activator.CreateInstance(typeof(EdgeOf<>).MakeGenericType(type.GetGenericArguments()))
            : null);

        private sealed class ConnectionOf<T> : Wrapped
        {
            public override IEnumerable<object?> Nodes(object wrapper) => (((Connection<T>)wrapper).Edges ?? []).Select(e => (object?)e.Node);

            public override object Without(object wrapper, Func<object?, bool> keep, bool silently) => silently
                ? Paging.Visible((Connection<T>)wrapper, node => keep(node))
                : Paging.Without((Connection<T>)wrapper, node => keep(node));

            public override bool Shows(object wrapper, Func<object?, bool> keep) => true;

            public override bool All(object wrapper, Func<Resource, object, bool> test, object state)
            {
                if (((Connection<T>)wrapper).Edges is not { } edges)
                {
                    return true;
                }

                foreach (var edge in edges)
                {
                    if (!ResourceValues.All(edge.Node, test, state))
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        private sealed class EdgeOf<T> : Wrapped
        {
            public override IEnumerable<object?> Nodes(object wrapper) => [((Edge<T>)wrapper).Node];

            // An edge with a dropped node is dropped whole by the list around it (Keeps).
            public override object Without(object wrapper, Func<object?, bool> keep, bool silently) => wrapper;

            public override bool Shows(object wrapper, Func<object?, bool> keep) => keep(((Edge<T>)wrapper).Node);

            public override bool All(object wrapper, Func<Resource, object, bool> test, object state) =>
                ResourceValues.All(((Edge<T>)wrapper).Node, test, state);
        }
    }
}

/// <summary>A field's deferred (DataLoader) value, judged when it arrives.</summary>
internal sealed class CheckedResult(IDataLoaderResult inner, Func<object?, Task<object?>> check) : IDataLoaderResult
{
    public async Task<object?> GetResultAsync(CancellationToken cancellationToken = default) =>
        await check(await inner.GetResultAsync(cancellationToken));
}
