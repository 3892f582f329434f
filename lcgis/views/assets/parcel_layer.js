// The script that draws the parcel payload (a Jinja template rendered by
// lcgis.views.maps.ParcelLayer). It never writes data as HTML: text goes in with
// textContent (tooltips, legend, zone names, the datum note).
(function(map){
var D={{ this.payload }};
var S=1e6,o=D.o;
function ring(a){var x=o[0],y=o[1],r=[];for(var i=0;i<a.length;i+=2){x+=a[i];y+=a[i+1];
 r.push([y/S,x/S]);}return r;}
function shape(g){return g.map(function(p){return p.map(ring);});}
function el(t,c,txt){var e=document.createElement(t);if(c)e.className=c;
 if(txt!==undefined)e.textContent=txt;return e;}
function num(v,d,sh){if(v===null||v===undefined)return "—";if(sh)v=v*100;
 return v.toLocaleString("zh-CN",{minimumFractionDigits:d,maximumFractionDigits:d})+(sh?"%":"");}
var I=D.ind;
function tip(l){var r=l._r,box=el("div","lcgis-tip");
 box.appendChild(el("b",null,"宗地 "+r[0]));
 box.appendChild(el("div",null,(r[1]>=0?D.zn[r[1]]:"片区外")+" · "+num(r[7],1,false)+" 亩"));
 if(r[6])box.appendChild(el("div",null,"主要企业："+r[6]));
 if(I.label)box.appendChild(el("div",null,I.label+"："+num(r[3],I.d,I.share)+
  (I.unit&&I.unit!=="%"?" "+I.unit:"")));
 box.appendChild(el("div",null,"类别："+(r[4]||"—")));
 if(r[9]>=0)box.appendChild(el("div",null,"处置："+D.dl[r[9]]+(r[10]>=0?"("+D.tl[r[10]]+")":"")));
 return box;}
var base={className:"lcgis-parcel",color:"#4d4d4d",weight:0.7,opacity:0.9,fillOpacity:0.78};
var parcels=L.featureGroup();
D.p.forEach(function(r){
 var s=Object.assign({},base,{fillColor:r[2]>=0?D.pal[r[2]]:D.nd});
 var poly=L.polygon(shape(r[8]),s);
 poly.feature={type:"Feature",properties:{parcel_id:r[0]}};poly._r=r;
 poly.on("mouseover",function(){poly.setStyle({weight:2.5,color:"#000"});});
 poly.on("mouseout",function(){poly.setStyle({weight:base.weight,color:base.color});});
 parcels.addLayer(poly);});
parcels.bindTooltip(tip,{sticky:true,direction:"top",opacity:0.95});
parcels.addTo(map);
var labels=[];
D.z.forEach(function(z){
 L.polygon(shape(z[1]),{fill:false,color:"#222",weight:2.2,dashArray:"8 5",
  interactive:false,className:"lcgis-zone"}).addTo(map);
 labels.push(L.tooltip({permanent:true,direction:"center",className:"lcgis-zone-label",
  interactive:false}).setLatLng(z[2]).setContent(el("span",null,z[0])).addTo(map));});
function relabel(){labels.forEach(function(t){t.update();});}
map.on("resize",relabel);
var css=document.querySelector('link[href$="leaflet.css"]');
if(css)css.addEventListener("load",relabel);
var overlays={};
D.ov.forEach(function(ov,i){
 var g=L.featureGroup();
 D.p.forEach(function(r){if(r[5]>>i&1)g.addLayer(L.polygon(shape(r[8]),
  {fill:false,color:ov[1],weight:3,dashArray:"4 3",interactive:false,
   className:"lcgis-overlay"}));});
 overlays["<span style='color:"+ov[1]+"'>■</span> "+ov[0]+"("+ov[2]+"宗)"]=g;});
L.control.layers(null,overlays,{collapsed:false,position:"topright"}).addTo(map);
var lg=L.control({position:"bottomright"});
lg.onAdd=function(){var d=el("div","lcgis-legend");d.appendChild(el("b",null,D.lg.title));
 D.lg.rows.forEach(function(r){var row=el("div");var sw=el("span");sw.style.background=r[0];
  row.appendChild(sw);row.appendChild(document.createTextNode(r[1]+"  ("+r[2]+"宗)"));
  d.appendChild(row);});
 if(D.lg.note)d.appendChild(el("div",null,D.lg.note));return d;};
lg.addTo(map);
var nt=L.control({position:"bottomleft"});
nt.onAdd=function(){return el("div","lcgis-note",D.datum);};nt.addTo(map);
})({{ this._parent.get_name() }});
