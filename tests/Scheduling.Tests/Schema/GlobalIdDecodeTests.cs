using System.Buffers.Text;
using System.Text;
using CsCheck;
using Scheduling.Schema.Identity;

namespace Scheduling.Tests.Schema;

/// <summary>
/// A global id's text is read without exceptions (issue 14: a FHIR id sent where a global id is accepted threw and
/// caught a FormatException, whose message lookup showed on the hot path), and reads exactly what the exception-based
/// decoding read: the same text, or nothing, for base64url of any bytes, for global ids, for FHIR ids and references,
/// and for any text.
/// </summary>
public sealed class GlobalIdDecodeTests
{
    /// <summary>Exceptions thrown on this thread (CsCheck samples on several).</summary>
    [ThreadStatic]
    private static int _thrownHere;

    [Fact]
    public void Decoding_any_text_reads_what_the_throwing_decoder_read_and_throws_nothing_on_the_way()
    {
        var anyText = Gen.Char["ABCXYZabcxyz0189-_=+/ .:|éΩ\u0000"].Array[0, 60].Select(c => new string(c));
        var anyBytes = Gen.Byte.Array[0, 60].Select(b => Base64Url.EncodeToString(b));
        var globalIds = Gen.Select(Gen.OneOf("Slot", "Appointment", "Patient"), Gen.Char["abc019-."].Array[1, 64]).Select((type, id) => GlobalId.Encode(type, new string(id)));
        var references = Gen.Char["abc019-."].Array[1, 64].Select(id => "Slot/" + new string(id));
        static void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e) => _thrownHere++;
        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            Gen.OneOf(anyText, anyBytes, globalIds, references).Sample(value =>
            {
                var expected = Throwing(value);
                _thrownHere = 0;
                var read = GlobalId.Text(value);
                var thrown = _thrownHere;
                Assert.Equal(expected, read);
                Assert.Equal(0, thrown);
            }, iter: 20_000);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }
    }

    /// <summary>The decoding as it was: strict UTF-8 of base64url, an exception for anything else.</summary>
    private static string? Throwing(string value)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(Base64Url.DecodeFromChars(value));
        }
        catch (FormatException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
