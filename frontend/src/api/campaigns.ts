// Campaigns (专项行动): a work plan with tasks, sent to units who report on each task; the issuer follows progress.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import type {
  CampaignCreate,
  CampaignDetail,
  CampaignListQuery,
  CampaignRead,
  CampaignUpdate,
  Page,
  PageQuery,
  Progress,
  Recipients,
  TaskIn,
} from './types'

export type CampaignFilters = Omit<CampaignListQuery, 'limit' | 'offset' | 'sort'>
type Versioned = Pick<CampaignRead, 'id' | 'version'>

const path = (campaignId: string) => ({ path: { campaign_id: campaignId } })
const versioned = (campaign: Versioned) => ({ ...path(campaign.id), header: { 'If-Match': ifMatch(campaign.version) } })

export function listCampaigns(page: PageQuery, filters: CampaignFilters = {}): Promise<Page<CampaignRead>> {
  return unwrap(api.GET('/api/v1/campaigns', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

export function getCampaign(campaignId: string): Promise<CampaignDetail> {
  return unwrap(api.GET('/api/v1/campaigns/{campaign_id}', { params: path(campaignId) }))
}

export function createCampaign(body: CampaignCreate): Promise<CampaignDetail> {
  return unwrap(api.POST('/api/v1/campaigns', { body }))
}

export function updateCampaign(campaign: Versioned, body: CampaignUpdate): Promise<CampaignDetail> {
  return unwrap(api.PATCH('/api/v1/campaigns/{campaign_id}', { params: versioned(campaign), body }))
}

/** Replace a draft's checklist as a whole. */
export async function replaceTasks(campaign: Versioned, tasks: TaskIn[]): Promise<void> {
  await unwrap(api.PUT('/api/v1/campaigns/{campaign_id}/tasks', { params: versioned(campaign), body: { tasks } }))
}

/** The units the campaign goes to as its targets stand now (before publishing: who would receive it). */
export function campaignRecipients(campaignId: string): Promise<Recipients> {
  return unwrap(api.GET('/api/v1/campaigns/{campaign_id}/recipients', { params: path(campaignId) }))
}

export function publishCampaign(campaign: Versioned): Promise<CampaignDetail> {
  return unwrap(api.POST('/api/v1/campaigns/{campaign_id}/publish', { params: versioned(campaign) }))
}

export function closeCampaign(campaign: Versioned): Promise<CampaignDetail> {
  return unwrap(api.POST('/api/v1/campaigns/{campaign_id}/close', { params: versioned(campaign) }))
}

/** A new draft with the same tasks and targets. */
export function copyCampaign(campaignId: string): Promise<CampaignDetail> {
  return unwrap(api.POST('/api/v1/campaigns/{campaign_id}/copy', { params: path(campaignId) }))
}

export async function campaignProgress(campaignId: string): Promise<Progress> {
  // JSON unless a file format is asked for (the spec also lists the XLSX answer)
  return (await unwrap(api.GET('/api/v1/campaigns/{campaign_id}/progress', { params: path(campaignId) }))) as Progress
}

/** The progress table as an XLSX file (进展统计表). */
export async function campaignProgressXlsx(campaignId: string): Promise<Blob> {
  const blob = await unwrap(
    api.GET('/api/v1/campaigns/{campaign_id}/progress', {
      params: { ...path(campaignId), query: { format: 'xlsx' } },
      parseAs: 'blob',
    }),
  )
  return blob as unknown as Blob
}
