using System.Globalization;
using System.Text;
using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Types.Relay.DataObjects;

namespace Scheduling.Schema.Common;

/// <summary>
/// Relay connections over FHIR. A cursor is the opaque position of an item in its (sorted, filtered) result;
/// root lists page on the FHIR server with <c>_count</c> and <c>_offset</c>, nested lists page over the batched
/// result of their level.
/// </summary>
public static class Paging
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public static FieldBuilder<TSource, TReturn> PagingArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) =>
        field
            .Argument<IntGraphType>("first", a => a.Description = $"How many items, 0 to {MaxPageSize} (default {DefaultPageSize}).")
            .Argument<StringGraphType>("after", a => a.Description = "Items after this cursor (an edge's or pageInfo.endCursor).");

    /// <summary>Reads first/after; bad values are user errors with code BAD_USER_INPUT.</summary>
    public static (int Offset, int First) Read(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Read(context.GetArgument<int?>("first"), context.GetArgument<string?>("after"));
    }

    public static (int Offset, int First) Read(int? first, string? after)
    {
        var count = first ?? DefaultPageSize;
        if (count is < 0 or > MaxPageSize)
        {
            throw new UserInputError($"'first' must be between 0 and {MaxPageSize}.");
        }

        return (after is null ? 0 : DecodeCursor(after) + 1, count);
    }

    /// <summary>A page of a list already in memory (a nested list of a batched level).</summary>
    public static Connection<T> Slice<T>(IReadOnlyList<T> all, int offset, int first) =>
        Build(all.Skip(offset).Take(first + 1).ToList(), offset, first, all.Count);

    /// <summary>A page fetched with <c>_count=first+1</c>: the extra item only tells that more exist.</summary>
    public static Connection<T> Build<T>(IReadOnlyList<T> fetched, int offset, int first, int? total)
    {
        ArgumentNullException.ThrowIfNull(fetched);
        var edges = fetched.Take(first).Select((node, i) => new Edge<T> { Cursor = EncodeCursor(offset + i), Node = node }).ToList();
        return new Connection<T>
        {
            Edges = edges,
            TotalCount = total,
            PageInfo = new PageInfo
            {
                HasNextPage = fetched.Count > first,
                HasPreviousPage = offset > 0,
                StartCursor = edges.FirstOrDefault()?.Cursor,
                EndCursor = edges.LastOrDefault()?.Cursor,
            },
        };
    }

    /// <summary>
    /// The page as a caller who may see only some of its items sees it: the visible items, counted and positioned
    /// among themselves. A page that lost items ends with them (no next page, no total, cursors renumbered), so
    /// neither <c>totalCount</c>, <c>hasNextPage</c> nor a cursor tells that hidden items exist. Searches are
    /// narrowed before they run; this is for a FHIR server that returned more than it was asked for.
    /// </summary>
    public static Connection<T> Visible<T>(Connection<T> page, Func<T, bool> visible)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(visible);
        var edges = page.Edges ?? [];
        var kept = edges.Where(e => e.Node is not null && visible(e.Node)).Select(e => e.Node!).ToList();
        if (kept.Count == edges.Count)
        {
            return page;
        }

        var offset = edges.Count > 0 ? DecodeCursor(edges[0].Cursor!) : 0;
        return Build(kept, offset, kept.Count, total: null);
    }

    /// <summary>
    /// The page without some of its items, everything else as it was: the kept edges keep their cursors, and pageInfo
    /// and totalCount stay as the FHIR server gave them, so paging on from <c>endCursor</c> neither skips nor repeats.
    /// For items left out for a reason the caller is told (an error naming each).
    /// </summary>
    public static Connection<T> Without<T>(Connection<T> page, Func<T, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(keep);
        var edges = page.Edges ?? [];
        var kept = edges.Where(e => e.Node is not null && keep(e.Node)).ToList();
        return kept.Count == edges.Count ? page : new Connection<T> { Edges = kept, TotalCount = page.TotalCount, PageInfo = page.PageInfo };
    }

    public static string EncodeCursor(int position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("o:" + position.ToString(CultureInfo.InvariantCulture)));

    public static int DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            if (text.StartsWith("o:", StringComparison.Ordinal) &&
                int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position < int.MaxValue)
            {
                return position;
            }
        }
        catch (FormatException)
        {
        }

        throw new UserInputError("'after' is not a cursor this API issued.");
    }
}

/// <summary>A connection: <c>edges { cursor node }</c>, <c>nodes</c>, <c>pageInfo</c> and <c>totalCount</c>.</summary>
public sealed class ConnectionGraphType<TNodeType, TNode> : ObjectGraphType<Connection<TNode>>
    where TNodeType : IGraphType
{
    public ConnectionGraphType()
    {
        var node = GraphTypeNames.Of<TNodeType>();
        Name = node + "Connection";
        Description = $"A page of {node} items.";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EdgeGraphType<TNodeType, TNode>>>>>("edges").Description("The items with their cursors.").Resolve(c => c.Source.Edges);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<TNodeType>>>>("nodes").Description("The items, without cursors.").Resolve(c => c.Source.Items);
        Field<NonNullGraphType<GraphQL.Types.Relay.PageInfoType>>("pageInfo").Description("Whether there are more items, and the cursors to get them.").Resolve(c => c.Source.PageInfo);
        Field<IntGraphType>("totalCount")
            .Description("How many items match in all, when the FHIR server counts them.")
            .Resolve(c => c.Source.TotalCount);
    }
}

public sealed class EdgeGraphType<TNodeType, TNode> : ObjectGraphType<Edge<TNode>>
    where TNodeType : IGraphType
{
    public EdgeGraphType()
    {
        Name = GraphTypeNames.Of<TNodeType>() + "Edge";
        Description = $"{Article(GraphTypeNames.Of<TNodeType>())} {GraphTypeNames.Of<TNodeType>()} in a page, with its cursor.";
        Field<NonNullGraphType<StringGraphType>>("cursor").Description("The item's position; pass it as 'after' to get the items after it.").Resolve(c => c.Source.Cursor);
        Field<NonNullGraphType<TNodeType>>("node").Description("The item.").Resolve(c => c.Source.Node);
    }

    private static string Article(string noun) => "AEIOU".Contains(noun[0], StringComparison.Ordinal) ? "An" : "A";
}

internal static class GraphTypeNames
{
    /// <summary><c>PractitionerType</c> is named <c>Practitioner</c>.</summary>
    public static string Of<T>() => typeof(T).Name.EndsWith("Type", StringComparison.Ordinal) ? typeof(T).Name[..^4] : typeof(T).Name;
}
