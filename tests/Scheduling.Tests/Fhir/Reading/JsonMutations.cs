using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scheduling.Tests.Fhir.Reading;

/// <summary>
/// Random changes to FHIR JSON of the kinds a reader may get wrong: properties reordered (<c>resourceType</c> too),
/// duplicated, unknown, wrongly cased, escaped; nulls, empty objects and arrays, values of the wrong JSON kind, odd
/// numbers and dates, a lower-case resource type, a primitive's value or companion removed, deep nesting.
/// </summary>
internal sealed class JsonMutations(int seed)
{
    private static readonly string[] Numbers =
    [
        "1.0", "1.50", "-0", "1e2", "1E-2", "0.1e1", "12345678901234567890", "79228162514264337593543950336", "1e400",
        "0.0000000000000000000000000001", "2147483648", "-2147483649", "3", "3.000",
    ];

    private static readonly string[] Strings = ["2026", "2026-02-30", "2026-01-01T09:00:00+14:00", "T09", "", " ", "\\u00e9t\\u00E9", "\\ud83d\\ude00"];

    private readonly Random _random = new(seed);
    private readonly Dictionary<JsonNode, string> _raw = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<(JsonObject, string)> _duplicated = [];
    private readonly HashSet<(JsonObject, string)> _escaped = [];

    /// <summary>What kinds of change were made (for the test's tally).</summary>
    public List<string> Made { get; } = [];

    public string Mutate(string json, int count)
    {
        var root = JsonNode.Parse(json)!;
        for (var i = 0; i < count; i++)
        {
            MutateOnce(root);
        }

        var text = new StringBuilder();
        Emit(root, text);
        return text.ToString();
    }

    private void MutateOnce(JsonNode root)
    {
        var objects = new List<JsonObject>();
        Collect(root, objects);
        var target = objects[_random.Next(objects.Count)];
        var keys = target.Select(p => p.Key).ToList();
        var key = keys.Count > 0 ? keys[_random.Next(keys.Count)] : "id";
        var kind = _random.Next(14);
        switch (kind)
        {
            case 0:
                var properties = target.ToList();
                target.Clear();
                foreach (var (name, value) in properties.OrderBy(_ => _random.Next()))
                {
                    target[name] = value;
                }

                break;
            case 1:
                _duplicated.Add((target, key));
                break;
            case 2:
                string[] unknown = ["bogus", char.ToUpperInvariant(key[0]) + key[1..], key + "Foo", "_" + key, "valueFoo", "resourceType", "value"];
                target[unknown[_random.Next(unknown.Length)]] = _random.Next(2) == 0 ? "x" : new JsonObject { ["a"] = 1 };
                break;
            case 3:
                if (target[key] is JsonArray array && _random.Next(2) == 0)
                {
                    array.Insert(_random.Next(array.Count + 1), null);
                }
                else
                {
                    target[key] = null;
                }

                break;
            case 4:
                JsonNode?[] wrong = [1, true, "x", new JsonObject(), new JsonArray(), new JsonObject { ["id"] = "i" }, new JsonArray("x"), new JsonArray(new JsonArray("x"))];
                target[key] = wrong[_random.Next(wrong.Length)];
                break;
            case 5:
                Raw(target, key, Numbers[_random.Next(Numbers.Length)]);
                break;
            case 6:
                Raw(target, key, "\"" + Strings[_random.Next(Strings.Length)] + "\"");
                break;
            case 7:
                _escaped.Add((target, key));
                break;
            case 8:
                Raw(target, key, Nested(_random.Next(2) == 0 ? 30 : 70));
                break;
            case 9:
                if (target["resourceType"] is JsonValue type && type.TryGetValue<string>(out var typeName))
                {
                    target["resourceType"] = typeName.ToLowerInvariant(); // (an earlier change may have made it a number)
                }

                break;
            case 10:
                target.Remove(key);
                break;
            case 11:
                target[key] = _random.Next(2) == 0 ? new JsonArray() : new JsonObject();
                break;
            case 12:
                if (target[key] is JsonValue number && number.GetValueKind() == JsonValueKind.Number)
                {
                    Raw(target, key, Numbers[_random.Next(Numbers.Length)]);
                }
                else
                {
                    target[key] = _random.Next(-5, 5) + (_random.Next(2) == 0 ? 0.5m : 0m);
                }

                break;
            default:
                target[key] = JsonValue.Create(_random.Next(2) == 0 ? "2026-01-01T09:00:00Z" : "x\u2028y");
                break;
        }

        Made.Add(kind.ToString(CultureInfo.InvariantCulture));
    }

    private void Raw(JsonObject target, string key, string raw)
    {
        var placeholder = JsonValue.Create(0);
        target[key] = placeholder;
        _raw[placeholder] = raw;
    }

    /// <summary>Extensions nested <paramref name="depth"/> deep (valid FHIR; past 64 levels beyond JSON's reader depth).</summary>
    private static string Nested(int depth)
    {
        var text = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            text.Append("[{\"url\":\"http://example.org/n\",\"extension\":");
        }

        text.Append("[{\"url\":\"http://example.org/n\",\"valueString\":\"deep\"}]");
        for (var i = 0; i < depth; i++)
        {
            text.Append("}]");
        }

        return text.ToString();
    }

    private static void Collect(JsonNode? node, List<JsonObject> objects)
    {
        switch (node)
        {
            case JsonObject o:
                objects.Add(o);
                foreach (var (_, value) in o)
                {
                    Collect(value, objects);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Collect(item, objects);
                }

                break;
        }
    }

    private void Emit(JsonNode? node, StringBuilder text)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject o:
                text.Append('{');
                var first = true;
                foreach (var (name, value) in o)
                {
                    var times = _duplicated.Contains((o, name)) ? 2 : 1;
                    for (var i = 0; i < times; i++)
                    {
                        text.Append(first ? "" : ",");
                        first = false;
                        text.Append('"').Append(_escaped.Contains((o, name)) ? Escaped(name) : JsonEncodedText.Encode(name).ToString()).Append("\":");
                        Emit(value, text);
                    }
                }

                text.Append('}');
                break;
            case JsonArray a:
                text.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",");
                    Emit(a[i], text);
                }

                text.Append(']');
                break;
            default:
                text.Append(_raw.TryGetValue(node, out var raw) ? raw : node.ToJsonString());
                break;
        }
    }

    private static string Escaped(string name) =>
        string.Concat(name.Select((c, i) => i == 0 ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString()));
}
