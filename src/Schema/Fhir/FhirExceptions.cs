using System.Net;

namespace Scheduling.Schema.Fhir;

/// <summary>Anything that went wrong talking to the FHIR server. The GraphQL error code is derived from the type name.</summary>
public abstract class FhirException : Exception
{
    protected FhirException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>HTTP status the server answered, when there was an answer.</summary>
    public HttpStatusCode? Status { get; init; }

    /// <summary>What the FHIR server said (its OperationOutcome's diagnostics): for admins and Development only.</summary>
    public string? UpstreamDetail { get; init; }
}

/// <summary>The FHIR server is down, timed out or answered 5xx: a transient fault of the upstream.</summary>
public sealed class FhirUnavailableException(string message, Exception? inner = null) : FhirException(message, inner);

/// <summary>The FHIR server refused the request (4xx other than 404/409/412).</summary>
public sealed class FhirRequestRejectedException(string message, Exception? inner = null) : FhirException(message, inner);

/// <summary>A versioned write lost a race: <c>If-Match</c> answered 412 (or 409 on HAPI).</summary>
public sealed class FhirVersionConflictException(string message, Exception? inner = null) : FhirException(message, inner);

/// <summary>The resource addressed by a read or write does not exist.</summary>
public sealed class FhirResourceNotFoundException(string message, Exception? inner = null) : FhirException(message, inner);
