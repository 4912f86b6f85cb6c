using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Types.Relay.DataObjects;

namespace Scheduling.Schema.Common;

/// <summary>A connection's page arguments: Relay's first/after and last/before.</summary>
public sealed record PageArguments(int? First, string? After, int? Last, string? Before)
{
    public static PageArguments Read(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new PageArguments(
            context.GetArgument<int?>("first"), context.GetArgument<string?>("after"),
            context.GetArgument<int?>("last"), context.GetArgument<string?>("before"));
    }
}

/// <summary>
/// Relay paging over a sorted list in memory where a cursor is the item's sort key, not its position: a cursor
/// keeps its place when items before it go (booked) or come (freed), so paging on from <c>endCursor</c> neither
/// skips nor repeats what is still there. Relay's algorithm: after and before narrow the list, then first keeps
/// the first items of it and last the last ones.
/// </summary>
public static class KeysetPaging
{
    /// <summary>first/after and last/before, described.</summary>
    public static FieldBuilder<TSource, TReturn> KeysetPagingArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) =>
        field
            .Argument<IntGraphType>("first", a => a.Description = $"The first items of the page, 0 to {Paging.MaxPageSize} (default {Paging.DefaultPageSize} when last is not given either).")
            .Argument<StringGraphType>("after", a => a.Description = "Items after this cursor (an edge's or pageInfo.endCursor); it keeps its place while items are booked or freed.")
            .Argument<IntGraphType>("last", a => a.Description = $"The last items of the page, 0 to {Paging.MaxPageSize}.")
            .Argument<StringGraphType>("before", a => a.Description = "Items before this cursor (an edge's or pageInfo.startCursor).");

    public static Connection<T> Page<T, TKey>(
        IReadOnlyList<T> sorted, Func<T, TKey> key, IComparer<TKey> order, Func<TKey, string> encode, Func<string, TKey> decode, PageArguments page)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(page);
        var first = Count(page.First, "first") ?? (page.Last is null ? Paging.DefaultPageSize : null);
        var last = Count(page.Last, "last");
        var from = 0;
        var to = sorted.Count;
        if (page.After is { } after)
        {
            var afterKey = decode(after);
            while (from < to && order.Compare(key(sorted[from]), afterKey) <= 0)
            {
                from++;
            }
        }

        if (page.Before is { } before)
        {
            var beforeKey = decode(before);
            while (to > from && order.Compare(key(sorted[to - 1]), beforeKey) >= 0)
            {
                to--;
            }
        }

        var (start, end) = (from, to);
        if (first is { } f && end - start > f)
        {
            end = start + f;
        }

        if (last is { } l && end - start > l)
        {
            start = end - l;
        }

        var edges = new List<Edge<T>>(end - start);
        for (var i = start; i < end; i++)
        {
            edges.Add(new Edge<T> { Cursor = encode(key(sorted[i])), Node = sorted[i] });
        }

        return new Connection<T>
        {
            Edges = edges,
            TotalCount = sorted.Count,
            PageInfo = new PageInfo
            {
                HasNextPage = end < sorted.Count,
                HasPreviousPage = start > 0,
                StartCursor = edges.FirstOrDefault()?.Cursor,
                EndCursor = edges.LastOrDefault()?.Cursor,
            },
        };
    }

    private static int? Count(int? value, string name) =>
        value is < 0 or > Paging.MaxPageSize ? throw new UserInputError($"'{name}' must be between 0 and {Paging.MaxPageSize}.") : value;
}
