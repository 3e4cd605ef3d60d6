; Inno Setup script: dist\bgdesk-VERSION-setup.exe from the frozen folder dist\bgdesk\.
;
;   py tasks.py package
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=VERSION packaging\windows\bgdesk.iss
;
; VERSION is the number `dist\bgdesk\bgdesk.exe --version` prints (bgdesk/__init__.py).
;
; Installs per user by default (no administrator needed), offers a per-machine install,
; adds Start menu and optional desktop shortcuts, "Open with bgdesk" for photos, and the
; `bgdesk` command on PATH for scripts.

#ifndef AppVersion
  #error Pass the version: /DAppVersion=VERSION, the number bgdesk.exe --version prints
#endif
#define AppName "bgdesk"
#define Frozen "..\..\dist\bgdesk"

[Setup]
AppId={{6E4C2B7A-3F51-4B8E-9C1D-B9D7A2E54F10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=bgdesk
AppComments=Remove image backgrounds on this computer, with no upload.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=bgdesk-{#AppVersion}-setup
SetupIconFile=bgdesk.ico
UninstallDisplayIcon={app}\bgdesk-window.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the bgdesk command to PATH (for scripts)"; GroupDescription: "Command line:"

[Files]
Source: "{#Frozen}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\bgdesk-window.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\bgdesk-window.exe"; Tasks: desktopicon

[Registry]
; "Open with" for JPEG, PNG and WEBP: queues the photos in the window.
Root: HKA; Subkey: "Software\Classes\Applications\bgdesk-window.exe\shell\open\command"; ValueType: string; ValueData: """{app}\bgdesk-window.exe"" open ""%1"""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\bgdesk-window.exe\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\bgdesk-window.exe\SupportedTypes"; ValueType: string; ValueName: ".jpeg"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\bgdesk-window.exe\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\bgdesk-window.exe\SupportedTypes"; ValueType: string; ValueName: ".webp"; ValueData: ""
; The command for scripts: the console launcher's folder on the user's (or machine's) PATH.
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: not IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\bgdesk-window.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The app's own files only: photos, cutouts, keys and the ledger live in the user's data
; folder (%LOCALAPPDATA%\bgdesk) and are kept.
Type: filesandordirs; Name: "{app}\_internal"

[Code]
function NeedsAddPath(Folder: string): Boolean;
var
  Paths: string;
  RootKey: Integer;
  SubKey: string;
begin
  if IsAdminInstallMode then begin
    RootKey := HKEY_LOCAL_MACHINE;
    SubKey := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';
  end else begin
    RootKey := HKEY_CURRENT_USER;
    SubKey := 'Environment';
  end;
  if not RegQueryStringValue(RootKey, SubKey, 'Path', Paths) then begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Folder) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;
