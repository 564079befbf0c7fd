// Names for the generated schema types, so views never spell `components['schemas'][...]`.
import type { components, operations } from './schema'

type Schemas = components['schemas']

export type Me = Schemas['Me']
export type TokenResponse = Schemas['TokenResponse']
export type ReferenceData = Schemas['ReferenceData']
export type Label = Schemas['Label']
export type Role = Schemas['Role']
export type Scope = Schemas['Scope']
export type UnitKind = Schemas['UnitKind']
export type UnitRead = Schemas['UnitRead']
export type UnitNode = Schemas['UnitNode']
export type UnitCreate = Schemas['UnitCreate']
export type UnitUpdate = Schemas['UnitUpdate']
export type UserRead = Schemas['UserRead']
export type UserCreate = Schemas['UserCreate']
export type UserCreated = Schemas['UserCreated']
export type UserUpdate = Schemas['UserUpdate']
export type ClientRead = Schemas['ClientRead']
export type ClientCreate = Schemas['ClientCreate']
export type ClientUpdate = Schemas['ClientUpdate']
export type ClientWithSecret = Schemas['ClientWithSecret']
export type PasswordChange = Schemas['PasswordChange']
export type FieldProblem = Schemas['FieldProblem']
export type CampaignRead = Schemas['CampaignRead']
export type CampaignDetail = Schemas['CampaignDetail']
export type CampaignCreate = Schemas['CampaignCreate']
export type CampaignStatus = Schemas['CampaignStatus']
export type Phase = Schemas['Phase']
export type TaskIn = Schemas['TaskIn']
export type TaskRead = Schemas['TaskRead']
export type TaskMeasure = Schemas['TaskMeasure']
export type Comparator = Schemas['Comparator']
export type Recipients = Schemas['Recipients']
export type TaskReportRead = Schemas['TaskReportRead']
export type TaskReportDetail = Schemas['TaskReportDetail']
export type TaskReportStatus = Schemas['TaskReportStatus']
export type EvidenceRead = Schemas['EvidenceRead']
export type CampaignPhase = Schemas['CampaignPhase']
export type PublicityKind = Schemas['PublicityKind']
export type InspectionKind = Schemas['InspectionKind']
export type WorkRecordFileRead = Schemas['WorkRecordFileRead']
export type PublicityActivityRead = Schemas['PublicityActivityRead']
export type PublicityActivityCreate = Schemas['PublicityActivityCreate']
export type PublicityActivityUpdate = Schemas['PublicityActivityUpdate']
export type InspectionVisitRead = Schemas['InspectionVisitRead']
export type InspectionVisitCreate = Schemas['InspectionVisitCreate']
export type InspectionVisitUpdate = Schemas['InspectionVisitUpdate']
export type ResponsibilityLetterRead = Schemas['ResponsibilityLetterRead']
export type ResponsibilityLetterCreate = Schemas['ResponsibilityLetterCreate']
export type ResponsibilityLetterUpdate = Schemas['ResponsibilityLetterUpdate']
export type Progress = Schemas['Progress']

// At-risk minors and the audit trail
export type MinorRead = Schemas['MinorRead']
export type MinorCreate = Schemas['MinorCreate']
export type MinorUpdate = Schemas['MinorUpdate']
export type MinorVerify = Schemas['MinorVerify']
export type DuplicateCheck = Schemas['DuplicateCheck']
export type PossibleDuplicates = Schemas['PossibleDuplicates']
export type MinorPolicy = Schemas['MinorPolicy']
export type GuardianIn = Schemas['GuardianIn']
export type Revealed = Schemas['Revealed']
export type RiskLevel = Schemas['RiskLevel']
export type RiskCategory = Schemas['RiskCategory']
export type AuditEventRead = Schemas['AuditEventRead']
export type ChainVerification = Schemas['ChainVerification']
export type SeizureNoticeCreate = Schemas['SeizureNoticeCreate']
export type SeizureNoticeRead = Schemas['SeizureNoticeRead']
export type SeizureNoticeReceipt = Schemas['SeizureNoticeReceipt']
export type DailyReport = Schemas['DailyReport']
export type SuppressedCount = Schemas['SuppressedCount']
export type SchoolStatistics = Schemas['SchoolStatistics']
export type RegionStatistics = Schemas['RegionStatistics']
export type SchoolStatisticsReport = Schemas['SchoolStatisticsReport']
export type RegionStatisticsReport = Schemas['RegionStatisticsReport']
export type SchoolMetricFigures = Schemas['SchoolMetricFigures']
export type Overview = Schemas['Overview']
export type RatesReport = Schemas['RatesReport']
export type UnitRates = Schemas['UnitRates']
export type RateCell = Schemas['RateCell']
export type CodeCount = Schemas['CodeCount']
export type CareFileRead = Schemas['CareFileRead']
export type CareEntryRead = Schemas['EntryRead']
export type CareEntryCreate = Schemas['EntryCreate']
export type CareFileCreate = Schemas['CareFileCreate']
export type SchoolFileCreate = Schemas['SchoolFileCreate']
export type CareFileUpdate = Schemas['CareFileUpdate']
export type CareTeamMember = Schemas['TeamMemberIn']
export type PersonRef = Schemas['PersonRef']
export type TeamCandidate = Schemas['TeamCandidate']
export type CareSettingsRead = Schemas['CareSettingsRead']
export type Todo = Schemas['Todo']
export type TodoItem = Schemas['TodoItem']
export type NotificationRead = Schemas['NotificationRead']
export type TransferRead = Schemas['TransferRead']
export type TransferCreate = Schemas['TransferCreate']
export type ClosureRequest = Schemas['ClosureRequest']
export type PasswordReset = Schemas['PasswordReset']
export type MinorLookup = Schemas['MinorLookup']
export type RevealRequest = Schemas['RevealRequest']
export type CampaignUpdate = Schemas['CampaignUpdate']
export type TaskReportUpdate = Schemas['TaskReportUpdate']
export type SchoolMetricRead = Schemas['SchoolMetricRead']
export type SchoolMetricBatch = Schemas['SchoolMetricBatch']
export type SchoolMetricBatchResult = Schemas['SchoolMetricBatchResult']
export type UnitSummary = Schemas['UnitSummary']
// Venues and pharmacy checks (重点场所排查、药店排查)
export type VenueRead = Schemas['VenueRead']
export type VenueDetail = Schemas['VenueDetail']
export type VenueCreate = Schemas['VenueCreate']
export type VenueUpdate = Schemas['VenueUpdate']
export type VenueCheckIn = Schemas['VenueCheckIn']
export type VenueCheckRead = Schemas['VenueCheckRead']
export type PharmacyCheckRead = Schemas['PharmacyCheckRead']
export type PharmacyCheckIn = Schemas['PharmacyCheckIn']
export type PharmacyCheckUpdate = Schemas['PharmacyCheckUpdate']
/** A list's export: a streamed file of every row its filters select, masked as the list is. */
export type FileFormat = 'csv' | 'xlsx'
/** A list's file call with the list's filters bound (what ExportButton runs). */
export type FileDownload = (format: FileFormat) => Promise<Blob>

/** The query a list endpoint accepts, taken from the spec. */
export type UnitListQuery = NonNullable<operations['units-list_units']['parameters']['query']>
export type UserListQuery = NonNullable<operations['users-list_users']['parameters']['query']>
export type ClientListQuery = NonNullable<operations['clients-list_clients']['parameters']['query']>
export type MinorListQuery = NonNullable<operations['minors-list_minors']['parameters']['query']>
export type PublicityActivityListQuery = NonNullable<operations['publicity-activities-list_activities']['parameters']['query']>
export type InspectionVisitListQuery = NonNullable<operations['inspection-visits-list_visits']['parameters']['query']>
export type ResponsibilityLetterListQuery = NonNullable<operations['responsibility-letters-list_letters']['parameters']['query']>
export type AuditEventListQuery = NonNullable<operations['audit-list_audit_events']['parameters']['query']>
export type SeizureListQuery = NonNullable<operations['seizures-list_notices']['parameters']['query']>
export type CareFileListQuery = NonNullable<operations['care-files-list_care_files']['parameters']['query']>
export type TransferListQuery = NonNullable<operations['transfers-list_transfers']['parameters']['query']>
export type CampaignListQuery = NonNullable<operations['campaigns-list_campaigns']['parameters']['query']>
export type TaskReportListQuery = NonNullable<operations['task-reports-list_reports']['parameters']['query']>
export type VenueListQuery = NonNullable<operations['venues-list_venues']['parameters']['query']>
export type PharmacyCheckListQuery = NonNullable<operations['pharmacy-checks-list_pharmacy_checks']['parameters']['query']>
export type SchoolMetricListQuery = NonNullable<operations['school-metrics-list_school_metrics']['parameters']['query']>

/** Every list endpoint answers one page of this shape. */
export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

/** What the shared table sends to a list endpoint besides the page's own filters. */
export interface PageQuery {
  limit: number
  offset: number
  sort?: string
}
export type SchemeIn = Schemas['SchemeIn']
export type SchemeRead = Schemas['SchemeRead']
export type SchemeListItem = Schemas['SchemeListItem']
export type AssessmentIndicator = Schemas['Indicator']
export type AssessmentVeto = Schemas['Veto']
export type AssessmentGrade = Schemas['Grade']
export type RunRead = Schemas['RunRead']
export type UnitResult = Schemas['UnitResult']
export type FigureDetail = Schemas['FigureDetail']
export type ScoreIn = Schemas['ScoreIn']

// Imports of the screening forms (批量导入)
export type ImportKind = Schemas['ImportKind']
export type ImportMode = Schemas['ImportMode']
export type ImportJobRead = Schemas['ImportJobRead']
export type ImportJobSummary = Schemas['ImportJobSummary']
export type ImportRowReport = Schemas['RowReport']
export type ImportRowProblem = Schemas['RowProblem']
