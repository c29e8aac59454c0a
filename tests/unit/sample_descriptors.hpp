// Real-world security descriptors shared by the SDDL and access-evaluator tests.
#pragma once

#include <string>

namespace safelaunch::samples {

// Windows 11 Home 10.0.22631, interactive WinSta0 of a non-elevated admin, read with
// GetUserObjectSecurity + ConvertSecurityDescriptorToStringSecurityDescriptorW (a public field note,
// "2026-09-18: 対話セッションのステーションと logon SID の実測"). The note elides the user SID as
// "S-1-5-21-…-1001"; S-1-5-21-1-2-3-1001 stands in for it.
inline const std::string kWin11WinSta0 =
    "D:(A;NP;LCWP;;;S-1-5-21-1-2-3-1001)(A;OICIIO;GAGXGWGR;;;S-1-5-5-0-425489)"
    "(A;NP;0xf037f;;;S-1-5-5-0-425489)(A;NP;0x20363;;;S-1-5-96-0-1)"
    "(A;NP;0xf037f;;;S-1-5-90-0-1)(A;OICIIO;GAGXGWGR;;;RC)(A;NP;0xf037f;;;RC)"
    "(A;OICIIO;CCDCLCDTLOGX;;;BA)(A;NP;DCLCWPDTCRRC;;;BA)"
    "(A;OICIIO;GAGXGWGR;;;SY)(A;NP;0xf037f;;;SY)"
    "(A;OICIIO;GXGR;;;S-1-15-2-2)(A;NP;0x20327;;;S-1-15-2-2)"
    "(A;OICIIO;GXGR;;;AC)(A;NP;0x20327;;;AC)"
    "S:(ML;;NW;;;LW)";

}  // namespace safelaunch::samples
