using System.Collections;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using GraphQL;
using GraphQL.Transport;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// What makes two subscriptions one execution: the same document (its text, or its persisted id), operation name,
/// variables and extensions (but the resume point, <see cref="ChangeSubscription.LastEventIdExtension"/>), and the
/// same access: the caller's <see cref="SchedulingCaller"/> (role, patient, practitioner: everything authorization
/// and the internals' visibility decide on), and the token itself when FHIR is asked with the caller's identity
/// (then FHIR's answers depend on it). Two callers whose access differs never get the same key.
/// Values are written with their types (<c>1</c> and <c>"1"</c>, <c>1</c> and <c>1.0</c> differ); a key never
/// merges what could execute differently, at worst it keeps apart what could have been shared (two orders of the
/// same variables).
/// </summary>
internal static class SubscriptionKey
{
    public static string Of(GraphQLRequest request, ClaimsPrincipal caller, FhirOptions fhir)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(fhir);
        var access = SchedulingCaller.From(caller, fhir.TrustedFhirUserBases);
        var token = fhir.UpstreamIdentity == UpstreamIdentity.Caller ? CallerCredentials.TokenOf(caller) ?? string.Empty : string.Empty;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(access.Role.ToString());
            writer.WriteStringValue(access.PatientId);
            writer.WriteStringValue(access.PractitionerId);
            writer.WriteStringValue(token);
            writer.WriteStringValue(request.Query is null ? null : "q:" + request.Query);
            writer.WriteStringValue(request.DocumentId);
            writer.WriteStringValue(request.OperationName);
            Write(writer, request.Variables);
            Write(writer, LiveExtensions(request.Extensions));
            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The request's extensions without the resume point: what the live execution of its group runs with.</summary>
    public static Inputs? LiveExtensions(Inputs? extensions)
    {
        if (extensions is null || !extensions.ContainsKey(ChangeSubscription.LastEventIdExtension))
        {
            return extensions is { Count: 0 } ? null : extensions;
        }

        var live = extensions.Where(e => e.Key != ChangeSubscription.LastEventIdExtension).ToDictionary();
        return live.Count == 0 ? null : new Inputs(live);
    }

    /// <summary>Where a client resumes, if it does.</summary>
    public static bool Resumes(GraphQLRequest request) =>
        request.Extensions?.TryGetValue(ChangeSubscription.LastEventIdExtension, out var last) == true && !string.IsNullOrWhiteSpace(last?.ToString());

    private static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case IEnumerable<KeyValuePair<string, object?>> map:
                writer.WriteStartObject();
                foreach (var (name, item) in map)
                {
                    writer.WritePropertyName(name);
                    Write(writer, item);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case IFormattable formattable:
                writer.WriteStringValue(value.GetType().Name + ":" + formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteStringValue(value.GetType().FullName + ":" + value);
                break;
        }
    }
}
