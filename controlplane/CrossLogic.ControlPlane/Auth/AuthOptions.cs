using System.ComponentModel.DataAnnotations;

namespace CrossLogic.ControlPlane.Auth;

/// <summary>Credentials of the operators' API.</summary>
internal sealed class AuthOptions
{
    /// <summary>The admin bearer token for the Fleet API (`Auth:AdminToken`), at least 24 characters.</summary>
    [Required(ErrorMessage = "Auth:AdminToken is required (at least 24 characters)")]
    [MinLength(24, ErrorMessage = "Auth:AdminToken must be at least 24 characters")]
    public string AdminToken { get; set; } = "";
}
