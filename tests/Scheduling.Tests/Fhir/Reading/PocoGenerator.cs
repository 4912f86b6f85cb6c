using System.Globalization;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Scheduling.Tests.Fhir.Reading;

/// <summary>
/// Random POCOs of any R4 type, made by walking Firely's <see cref="ClassMapping"/>s (not the reader's tables): each
/// element present or not, repeats of one to three, a random type of each choice, contained and nested resources, and
/// primitives with a value of their kind (and odd ones), an id, extensions, or only those.
/// </summary>
internal sealed class PocoGenerator(int seed)
{
    private static readonly ModelInspector Inspector = ModelInfo.ModelInspector;

    /// <summary>Every concrete resource type of R4.</summary>
    public static readonly IReadOnlyList<ClassMapping> ResourceTypes = Inspector.ClassMappings
        .Where(m => m.IsResource && !m.NativeType.IsAbstract && !typeof(IDynamicType).IsAssignableFrom(m.NativeType))
        .OrderBy(m => m.Name, StringComparer.Ordinal)
        .ToList();

    private static readonly string[] Texts =
    [
        "a", "booked", "free", "Schedule/s1", "http://example.org/x", "urn:uuid:6f1c8a34-0d6e-4d4e-9b1c-3b2f0e7c9a11", "  padded ",
        "é ü 中文 \U0001F600", "quote \" and \\ backslash", "line\nbreak\ttab", "\u0001control", "<b>not xhtml</b>", "123", "true",
        "2026-01-01", "2026-01-01T09:00:00Z", "2026-01-01T09:00:00.123+05:30", "2026", "2026-02", "09:30:00", "24:00:00", "2026-13-45",
        "yesterday", "QUJD", "not base64!", "9223372036854775807", "-0",
    ];

    private static readonly decimal[] Decimals = [0m, 1m, 1.0m, 1.50m, -3.25m, 0.0000001m, 123456789.123456789m, decimal.MaxValue, decimal.MinValue, 1e-28m];
    private static readonly int[] Integers = [0, 1, -1, 42, int.MaxValue, int.MinValue, 1_000_000];

    private readonly Random _random = new(seed);

    public Resource Resource(ClassMapping mapping) => (Resource)Object(mapping, 0);

    public Resource AnyResource(int depth) => (Resource)Object(ResourceTypes[_random.Next(ResourceTypes.Count)], depth);

    /// <summary>A searchset of one to eight entries of random types, with search modes and full URLs.</summary>
    public Bundle Searchset()
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = _random.Next(0, 100) };
        for (var i = _random.Next(1, 9); i > 0; i--)
        {
            var resource = AnyResource(1);
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = "http://example.org/fhir/" + resource.TypeName + "/" + i,
                Resource = resource,
                Search = new Bundle.SearchComponent { Mode = _random.Next(2) == 0 ? Bundle.SearchEntryMode.Match : Bundle.SearchEntryMode.Include },
            });
        }

        return bundle;
    }

    private Base Object(ClassMapping mapping, int depth)
    {
        var instance = mapping.CreateInstance();
        var chance = depth == 0 ? 0.6 : 0.45 / depth;
        foreach (var property in mapping.PropertyMappings)
        {
            if ((mapping.IsFhirPrimitive && property.Name == "value") || _random.NextDouble() >= chance)
            {
                continue;
            }

            if (property.IsCollection)
            {
                var list = Inspector.FindOrImportClassMapping(property.ImplementingType)!.CreateList();
                for (var i = _random.Next(1, 4); i > 0; i--)
                {
                    if (Value(property, depth) is { } item)
                    {
                        list.Add(item);
                    }
                }

                if (list.Count > 0)
                {
                    instance.SetValue(property.Name, list);
                }
            }
            else if (Value(property, depth) is { } value)
            {
                instance.SetValue(property.Name, value);
            }
        }

        // Firely writes an object with nothing in it as {}, which it then reads with an issue: give it an id.
        if (!instance.EnumerateElements().Any())
        {
            instance.SetValue("id", mapping.IsResource ? new Id("r" + _random.Next(100).ToString(CultureInfo.InvariantCulture)) : new FhirString("x"));
        }

        return instance;
    }

    private Base? Value(PropertyMapping property, int depth)
    {
        var type = TypeOf(property);
        if (type.IsResource)
        {
            return depth < 2 ? AnyResource(depth + 1) : null;
        }

        if (type.IsFhirPrimitive)
        {
            return Primitive(type, depth);
        }

        return depth < 5 ? Object(type, depth + 1) : null;
    }

    private ClassMapping TypeOf(PropertyMapping property)
    {
        if (property.Choice == ChoiceType.DatatypeChoice)
        {
            return property.FhirTypeMappings[_random.Next(property.FhirTypeMappings.Count)];
        }

        var type = property.ImplementingType;
        if (type.IsAbstract && property.FhirTypeMappings.Count == 1)
        {
            type = property.FhirTypeMappings[0].NativeType;
        }

        return Inspector.FindOrImportClassMapping(type)!;
    }

    private PrimitiveType Primitive(ClassMapping mapping, int depth)
    {
        var primitive = (PrimitiveType)mapping.CreateInstance();
        var roll = _random.NextDouble();
        if (roll < 0.85)
        {
            primitive.JsonValue = PrimitiveValue(mapping);
        }

        if (roll > 0.7 && depth < 4)
        {
            if (_random.Next(2) == 0)
            {
                primitive.ElementId = "e" + _random.Next(100).ToString(CultureInfo.InvariantCulture);
            }

            primitive.Extension.Add(new Extension("http://example.org/ext", PrimitiveForExtension()));
        }

        if (primitive.JsonValue is null && primitive.ElementId is null && primitive.Extension.Count == 0)
        {
            primitive.JsonValue = PrimitiveValue(mapping);
        }

        return primitive;
    }

    private DataType PrimitiveForExtension() => _random.Next(4) switch
    {
        0 => new FhirString(Texts[_random.Next(Texts.Length)]),
        1 => new Integer(Integers[_random.Next(Integers.Length)]),
        2 => new FhirBoolean(_random.Next(2) == 0),
        _ => new Coding("http://example.org/cs", "c" + _random.Next(10).ToString(CultureInfo.InvariantCulture)),
    };

    private object PrimitiveValue(ClassMapping mapping)
    {
        var hint = mapping.PrimitiveValueProperty?.ImplementingType;
        if (hint == typeof(int))
        {
            return Integers[_random.Next(Integers.Length)];
        }

        if (hint == typeof(decimal))
        {
            return Decimals[_random.Next(Decimals.Length)];
        }

        if (hint == typeof(bool))
        {
            return _random.Next(2) == 0;
        }

        if (mapping.NativeType == typeof(XHtml))
        {
            return "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + _random.Next(1000).ToString(CultureInfo.InvariantCulture) + "</div>";
        }

        if (mapping.NativeType.IsGenericType && mapping.NativeType.GetGenericArguments()[0] is { IsEnum: true } codes && _random.Next(4) != 0)
        {
            var values = Enum.GetValues(codes);
            return Hl7.Fhir.Utility.EnumUtility.GetLiteral((Enum)values.GetValue(_random.Next(values.Length))!) ?? "x";
        }

        return Texts[_random.Next(Texts.Length)];
    }
}
