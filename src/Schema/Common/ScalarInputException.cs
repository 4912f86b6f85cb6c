namespace Scheduling.Schema.Common;

/// <summary>
/// A scalar refused a value, saying what is wrong with it and under which stable code. The scalar throws it while
/// GraphQL.NET coerces a variable or a literal; <see cref="Execution.ScalarInputErrors"/> turns GraphQL.NET's generic
/// "Unable to convert" or "Invalid literal" error around it into this message and code, on every transport.
/// </summary>
public sealed class ScalarInputException : Exception
{
    public ScalarInputException(string code, string message)
        : base(message) => Code = code;

    public ScalarInputException()
        : this("INVALID_VALUE", "The value is not valid for its type.")
    {
    }

    public ScalarInputException(string message)
        : this("INVALID_VALUE", message)
    {
    }

    public ScalarInputException(string message, Exception innerException)
        : base(message, innerException) => Code = "INVALID_VALUE";

    public string Code { get; } = "INVALID_VALUE";
}
