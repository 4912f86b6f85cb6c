using System.Text.Json;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>
/// JSON from a client, checked before anything converts it: valid JSON may still escape text .NET cannot hold
/// (<c>"\ud800"</c>, a lone UTF-16 surrogate), and every conversion of such a string throws.
/// </summary>
internal static class UntrustedJson
{
    /// <summary>Whether every string and property name in <paramref name="element"/> decodes to valid text.</summary>
    public static bool IsText(JsonElement element)
    {
        try
        {
            Decode(element);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void Decode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                _ = element.GetString();
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Decode(item);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    Decode(property.Value);
                }

                break;
        }
    }
}
