using System.Collections;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir.Reading;

/// <summary>
/// The walk of <see cref="FhirJsonReader"/>: Firely's <c>BaseFhirJsonDeserializer</c> step by step (create the POCO,
/// <c>TryGetValue</c> the element's current value, fill it, <c>SetValue</c> it back, merge <c>_name</c> companions by
/// index), for the JSON Firely reads without recording a single issue. Wherever Firely would record one, or take a
/// path this does not copy, a method returns false and the whole body goes to Firely (<see cref="FhirJsonReader"/>).
/// Each method starts on the value's first token and leaves the reader on its last.
/// </summary>
internal static class PocoReading
{
    /// <summary>A resource: an object whose first property is <c>resourceType</c>, naming a type the reader makes, and which has one more.</summary>
    public static Resource? ReadResource(ref Utf8JsonReader reader, Type allowed)
    {
        if (reader.TokenType != JsonTokenType.StartObject || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName
            || reader.ValueIsEscaped || !reader.ValueTextEquals("resourceType"u8)
            || !reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped
            || ResourceTypes.Find(reader.ValueSpan) is not { } table || !allowed.IsAssignableFrom(table.Mapping.NativeType)
            || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
        {
            return null;
        }

        var resource = (Resource)table.Mapping.CreateInstance();
        return ReadMembers(ref reader, resource, table) ? resource : null;
    }

    /// <summary>The properties of an object into <paramref name="target"/>, from its first property name to its end.</summary>
    private static bool ReadMembers(ref Utf8JsonReader reader, Base target, TypeTable table)
    {
        UInt128 seen = 0;
        List<IList>? withNulls = null;
        do
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped || table.Names.Find(reader.ValueSpan) is not { } entry)
            {
                return false;
            }

            var bit = UInt128.One << entry.Bit;
            if ((seen & bit) != 0 || !reader.Read())
            {
                return false;
            }

            seen |= bit;
            target.TryGetValue(entry.Name, out var existing);
            object? value;
            if (entry.IsCollection)
            {
                if (reader.TokenType != JsonTokenType.StartArray || (existing is not null and not IList))
                {
                    return false;
                }

                var list = (IList?)existing ?? entry.CreateList();
                if (!ReadList(ref reader, list, entry, ref withNulls))
                {
                    return false;
                }

                value = list;
            }
            else if (ReadSingle(ref reader, existing, entry) is { } single)
            {
                value = single;
            }
            else
            {
                return false;
            }

            target.SetValue(entry.Name, value);
            if (!reader.Read())
            {
                return false;
            }
        }
        while (reader.TokenType != JsonTokenType.EndObject);

        return withNulls is null || NoNullsLeft(withNulls);
    }

    /// <summary>
    /// One value of an element into the existing one (a primitive's value or its companion's id and extensions) or a
    /// new one; null where Firely would record an issue: a primitive for a non-primitive or a companion, an object for a
    /// primitive, a JSON null, an existing value of another type (a choice whose companion names another suffix).
    /// </summary>
    private static Base? ReadSingle(ref Utf8JsonReader reader, object? existing, ElementEntry entry)
    {
        var valueTable = entry.ValueTable;
        if (valueTable.IsResource)
        {
            return existing is null ? ReadResource(ref reader, entry.ValueMapping.NativeType) : null;
        }

        Base target;
        if (existing is null)
        {
            if (!valueTable.CanCreate)
            {
                return null;
            }

            target = valueTable.Mapping.CreateInstance();
        }
        else if (existing is Base base_ && base_.GetType() == valueTable.Mapping.NativeType)
        {
            target = base_;
        }
        else
        {
            return null;
        }

        return ReadInto(ref reader, target, valueTable, entry.Underscore) ? target : null;
    }

    private static bool ReadInto(ref Utf8JsonReader reader, Base target, TypeTable valueTable, bool underscore)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            // An object is a non-primitive's content or a primitive's companion; never empty.
            return (!valueTable.IsPrimitive || underscore) && reader.Read() && reader.TokenType == JsonTokenType.PropertyName
                && ReadMembers(ref reader, target, valueTable);
        }

        return !underscore && valueTable.IsPrimitive && target is PrimitiveType primitive && primitive.JsonValue is null
            && PrimitiveValue(ref reader, valueTable.Kind) is { } value
            && Assign(primitive, value);
    }

    private static bool Assign(PrimitiveType primitive, object value)
    {
        primitive.JsonValue = value;
        return true;
    }

    /// <summary>
    /// The value Firely's <c>readPrimitiveValue</c> makes of the token, where it makes one of the primitive's own kind:
    /// a string token's string, an int or decimal where the number fits the type Firely tries first for it, a boolean.
    /// Anything else (a number for a string type, a string for a boolean, a number that Firely would keep as raw text
    /// or store as another numeric type) is null: Firely decides.
    /// </summary>
    private static object? PrimitiveValue(ref Utf8JsonReader reader, PrimitiveKind kind) => reader.TokenType switch
    {
        JsonTokenType.String when kind == PrimitiveKind.Text => reader.GetString(),
        JsonTokenType.Number when kind == PrimitiveKind.Int32 && reader.TryGetInt32(out var integer) => integer,
        JsonTokenType.Number when kind == PrimitiveKind.Decimal && reader.TryGetDecimal(out var number) => number,
        JsonTokenType.True or JsonTokenType.False when kind == PrimitiveKind.Boolean => reader.GetBoolean(),
        _ => null,
    };

    /// <summary>
    /// The items of a repeating element, merged by index into what its companion (<c>name</c> or <c>_name</c>) already
    /// made, as Firely's <c>deserializeListInto</c> merges them: a JSON null stands for "nothing at this index" (a
    /// primitive's list only; an array of nothing but nulls, an empty one or a nested one is an issue to Firely).
    /// </summary>
    private static bool ReadList(ref Utf8JsonReader reader, IList list, ElementEntry entry, ref List<IList>? withNulls)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            return false;
        }

        var originalSize = list.Count;
        var index = 0;
        var onlyNulls = true;
        var nullsNoted = false;
        do
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                if (!entry.ValueMapping.IsFhirPrimitive)
                {
                    return false;
                }

                if (index >= originalSize)
                {
                    list.Add(null);
                    if (!nullsNoted)
                    {
                        // Once per array, not per null: NoNullsLeft walks each noted list whole (a list per null was
                        // nulls × length, 14.6 s for a 40,000-null `given` its `_given` fills).
                        (withNulls ??= []).Add(list);
                        nullsNoted = true;
                    }
                }
            }
            else
            {
                onlyNulls = false;
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    return false;
                }

                if (index >= originalSize)
                {
                    list.Add(null);
                }

                if (ReadSingle(ref reader, list[index], entry) is not { } item)
                {
                    return false;
                }

                list[index] = item;
            }

            index++;
            if (!reader.Read())
            {
                return false;
            }
        }
        while (reader.TokenType != JsonTokenType.EndArray);

        return !onlyNulls;
    }

    /// <summary>Whether every null a primitive's array left in its list was filled by its companion (else Firely decides what a null item is).</summary>
    private static bool NoNullsLeft(List<IList> lists)
    {
        foreach (var list in lists)
        {
            foreach (var item in list)
            {
                if (item is null)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static class ResourceTypes
    {
        private static readonly Utf8NameTable<TypeTable> Table = new(
            Hl7.Fhir.Model.ModelInfo.ModelInspector.ClassMappings
                .Where(m => m.IsResource)
                .Select(TypeTable.For)
                .Where(t => t.CanCreate)
                .Select(t => new KeyValuePair<string, TypeTable>(t.Mapping.Name, t))
                .ToList());

        public static TypeTable? Find(ReadOnlySpan<byte> name) => Table.Find(name);
    }
}
