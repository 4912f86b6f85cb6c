using System.Collections;
using System.Globalization;
using Hl7.Fhir.Model;

namespace Scheduling.Tests.Fhir.Reading;

/// <summary>
/// Where two POCO trees differ, element by element: the same .NET type at every node, the same elements in the same
/// order, the same list lengths and nulls, and for a primitive the same stored value of the same .NET type (a string is
/// not a DateTimeOffset, 1.0m is not 1.00m even though decimal equality says so).
/// </summary>
internal static class PocoTrees
{
    /// <summary>Null where the trees are the same, else the path of the first difference.</summary>
    public static string? Difference(object? left, object? right, string path = "")
    {
        if (left is null || right is null)
        {
            return left is null && right is null ? null : $"{path}: {Show(left)} against {Show(right)}";
        }

        if (left.GetType() != right.GetType())
        {
            return $"{path}: {left.GetType().Name} against {right.GetType().Name}";
        }

        switch (left)
        {
            case PrimitiveType primitive when Difference(primitive.JsonValue, ((PrimitiveType)right).JsonValue, path + ".value") is { } valueDifference:
                return valueDifference;
            case Base node:
                var a = node.EnumerateElements().ToList();
                var b = ((Base)right).EnumerateElements().ToList();
                if (!a.Select(e => e.Key).SequenceEqual(b.Select(e => e.Key)))
                {
                    return $"{path}: elements [{string.Join(",", a.Select(e => e.Key))}] against [{string.Join(",", b.Select(e => e.Key))}]";
                }

                for (var i = 0; i < a.Count; i++)
                {
                    if (Difference(a[i].Value, b[i].Value, path + "." + a[i].Key) is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
            case IList list:
                var other = (IList)right;
                if (list.Count != other.Count)
                {
                    return $"{path}: {list.Count} items against {other.Count}";
                }

                for (var i = 0; i < list.Count; i++)
                {
                    if (Difference(list[i], other[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]") is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
            default:
                return Equals(left, right) && Show(left) == Show(right) ? null : $"{path}: {Show(left)} against {Show(right)}";
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        IFormattable formattable => value.GetType().Name + " " + formattable.ToString(null, CultureInfo.InvariantCulture),
        byte[] bytes => "byte[] " + Convert.ToBase64String(bytes),
        _ => value.GetType().Name + " " + value,
    };
}
