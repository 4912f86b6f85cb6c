using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// Puts the gateway's own identity on upstream FHIR requests: a static bearer token, or an OAuth2
/// client-credentials token fetched from <c>Fhir:TokenUrl</c> and reused until shortly before it expires.
/// </summary>
public sealed class UpstreamAuthHandler(IOptions<FhirOptions> options, IHttpClientFactory httpClientFactory, TimeProvider time)
    : DelegatingHandler
{
    public const string TokenClientName = "fhir-token";

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private string? _token;
    private DateTimeOffset _expiresAt;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        var token = !string.IsNullOrWhiteSpace(settings.TokenUrl)
            ? await GetClientCredentialsTokenAsync(settings, cancellationToken)
            : settings.BearerToken;
        if (!string.IsNullOrWhiteSpace(token) && request.Headers.Authorization is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _refresh.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<string> GetClientCredentialsTokenAsync(FhirOptions settings, CancellationToken cancellationToken)
    {
        if (_token is not null && time.GetUtcNow() < _expiresAt)
        {
            return _token;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_token is not null && time.GetUtcNow() < _expiresAt)
            {
                return _token;
            }

            var form = new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = settings.ClientId!,
                ["client_secret"] = settings.ClientSecret!,
            };
            if (!string.IsNullOrWhiteSpace(settings.Scope))
            {
                form["scope"] = settings.Scope;
            }

            using var content = new FormUrlEncodedContent(form);
            using var response = await httpClientFactory.CreateClient(TokenClientName).PostAsync(new Uri(settings.TokenUrl!), content, cancellationToken);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken) ??
                throw new FhirUnavailableException("The token endpoint answered no token.");
            _token = body.AccessToken;
            // Refresh a minute early so a request never leaves with a token that expires in flight.
            _expiresAt = time.GetUtcNow().AddSeconds(Math.Max(0, body.ExpiresIn - 60));
            return _token;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
